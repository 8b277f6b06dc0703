using Chat.Server.Configuration;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Chat.Server.Tests;

/// <summary>Settings for several nodes: refused where they cannot work, and a pool that leaves room for the others.</summary>
public sealed class MultiNodeConfigurationTests
{
    [Fact]
    public void Redis_with_sqlite_is_refused_at_start_with_a_message_that_names_the_keys()
    {
        using var factory = new SqliteChatServerFactory().WithWebHostBuilder(builder =>
            builder.UseSetting("ConnectionStrings:Redis", "127.0.0.1:1"));

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        var message = Innermost(error).Message;
        Assert.Contains("ConnectionStrings:Redis", message, StringComparison.Ordinal);
        Assert.Contains("Chat:Database:Provider", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Prefix", "")]
    [InlineData("NodeTimeout", "00:00:00.5")]
    [InlineData("SequenceGapTimeout", "00:00:00")]
    [InlineData("NoSuchSetting", "1")]
    public void Bad_redis_settings_stop_the_start_naming_the_key(string key, string value)
    {
        var configuration = Configuration(new()
        {
            ["Chat:Database:Provider"] = "postgres",
            ["ConnectionStrings:Redis"] = "127.0.0.1:1",
            [$"Chat:Redis:{key}"] = value,
        });

        var error = Assert.ThrowsAny<InvalidOperationException>(() =>
            new Chat.Channels.ChannelsBuilder(new Microsoft.Extensions.DependencyInjection.ServiceCollection()).AddRedisWhenConfigured(configuration));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_postgres_pool_is_sized_for_several_nodes_unless_configured()
    {
        const string Plain = "Host=db;Database=chat;Username=chat";

        Assert.Equal(DatabaseConfiguration.DefaultMaxPoolSize, PoolSize(DatabaseConfiguration.WithPoolSize(Plain, Configuration([]))));
        Assert.Equal(50, PoolSize(DatabaseConfiguration.WithPoolSize(Plain + ";Maximum Pool Size=50", Configuration([]))));
        Assert.Equal(8, PoolSize(DatabaseConfiguration.WithPoolSize(Plain + ";MaxPoolSize=50", Configuration(new() { ["Chat:Database:MaxPoolSize"] = "8" }))));
        Assert.Contains("Chat:Database:MaxPoolSize", Assert.Throws<InvalidOperationException>(() =>
            DatabaseConfiguration.WithPoolSize(Plain, Configuration(new() { ["Chat:Database:MaxPoolSize"] = "lots" }))).Message, StringComparison.Ordinal);
    }

    private static int PoolSize(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).MaxPoolSize;

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static Exception Innermost(Exception error)
    {
        while (error.InnerException is { } inner)
        {
            error = inner;
        }

        return error;
    }
}
