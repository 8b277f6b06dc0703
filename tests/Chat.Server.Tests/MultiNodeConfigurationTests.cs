using Chat.Server.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Chat.Server.Tests;

/// <summary>Settings for several nodes: checked at start like every other, and a pool that leaves room for the other nodes.</summary>
public sealed class MultiNodeConfigurationTests
{
    private static readonly (string, string?)[] Postgres =
        [("Chat:Database:Provider", "postgres"), ("ConnectionStrings:Chat", "Host=db;Database=chat;Username=chat")];

    private static ServiceProvider Build(params (string Key, string? Value)[] settings) =>
        new ServiceCollection().AddLogging()
            .AddChatServer(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build())
            .BuildServiceProvider();

    private static IReadOnlyList<string> Failures(params (string Key, string? Value)[] settings)
    {
        using var services = Build([.. Postgres, ("ConnectionStrings:Redis", "127.0.0.1:1"), .. settings]);
        return Assert.Throws<InvalidConfigurationException>(services.ValidateChatConfiguration).Failures;
    }

    [Fact]
    public void Redis_with_postgres_is_accepted_and_serves_pubsub_and_presence_through_redis()
    {
        using var services = Build([.. Postgres, ("ConnectionStrings:Redis", "127.0.0.1:1"), ("Chat:Redis:Prefix", "staging:")]);

        services.ValidateChatConfiguration();

        Assert.Equal("Chat.Channels.Redis.Internal.RedisPubSub", services.GetRequiredService<Chat.Channels.PubSub.IPubSub>().GetType().FullName);
        Assert.Equal("staging:", services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Chat.Channels.Redis.RedisChannelsOptions>>().Value.Prefix);
    }

    [Theory]
    [InlineData("Chat:Redis:Prefix", "")]
    [InlineData("Chat:Redis:NodeTimeout", "00:00:00.5")]
    [InlineData("Chat:Redis:SequenceGapTimeout", "00:00:00")]
    [InlineData("Chat:Redis:NodeTimout", "00:00:10")]
    public void Bad_redis_settings_stop_the_start_naming_the_key(string key, string value)
    {
        var failure = Assert.Single(Failures((key, value)));

        Assert.StartsWith(key, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_redis_connection_string_that_cannot_be_parsed_is_named_without_being_shown()
    {
        using var services = Build([.. Postgres, ("ConnectionStrings:Redis", "127.0.0.1:1,password=secret,nonsense=yes")]);

        var failure = Assert.Single(Assert.Throws<InvalidConfigurationException>(services.ValidateChatConfiguration).Failures);

        Assert.StartsWith("ConnectionStrings:Redis is not a Redis configuration", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void The_postgres_pool_is_sized_for_several_nodes_unless_configured()
    {
        const string Plain = "Host=db;Database=chat;Username=chat";

        Assert.Equal(DatabaseOptions.DefaultMaxPoolSize, PoolSize(DatabaseOptions.WithPoolSize(Plain, configured: null)));
        Assert.Equal(50, PoolSize(DatabaseOptions.WithPoolSize(Plain + ";Maximum Pool Size=50", configured: null)));
        Assert.Equal(8, PoolSize(DatabaseOptions.WithPoolSize(Plain + ";MaxPoolSize=50", configured: 8)));
        Assert.StartsWith("Chat:Database:MaxPoolSize must be between 2 and 10000", Assert.Single(Failures(("Chat:Database:MaxPoolSize", "1"))), StringComparison.Ordinal);
    }

    [Fact]
    public void Postgres_statements_are_prepared_unless_the_connection_string_says_otherwise()
    {
        const string Plain = "Host=db;Database=chat;Username=chat";

        Assert.Equal(DatabaseOptions.DefaultMaxAutoPrepare, new NpgsqlConnectionStringBuilder(DatabaseOptions.WithAutoPrepare(Plain)).MaxAutoPrepare);
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(DatabaseOptions.WithAutoPrepare(Plain + ";Max Auto Prepare=0")).MaxAutoPrepare);
        Assert.Equal(5, new NpgsqlConnectionStringBuilder(DatabaseOptions.WithAutoPrepare(Plain + ";MaxAutoPrepare=5")).MaxAutoPrepare);
    }

    private static int PoolSize(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).MaxPoolSize;
}
