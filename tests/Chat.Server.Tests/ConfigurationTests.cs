using Chat.Channels;
using Chat.Server.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Chat.Server.Tests;

/// <summary>
/// The server's configuration as <c>AddChatServer</c> registers it: every bad value, unknown
/// key or key the server cannot honour stops it at start, with the key named.
/// </summary>
public sealed class ConfigurationTests
{
    private static ServiceProvider Build(params (string Key, string? Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return new ServiceCollection().AddLogging().AddChatServer(configuration).BuildServiceProvider();
    }

    private static IReadOnlyList<string> Failures(params (string Key, string? Value)[] settings)
    {
        using var services = Build(settings);
        return Assert.Throws<InvalidConfigurationException>(services.ValidateChatConfiguration).Failures;
    }

    [Fact]
    public void The_defaults_are_valid()
    {
        using var services = Build();
        services.ValidateChatConfiguration();
        Assert.Equal(4000, services.GetRequiredService<IOptions<ChatOptions>>().Value.MaxMessageLength);
    }

    [Fact]
    public void A_value_out_of_bounds_is_named_by_its_key_with_its_value()
    {
        var failure = Assert.Single(Failures(("Chat:Channels:MaxFrameBytes", "10")));
        Assert.Equal("Chat:Channels:MaxFrameBytes must be between 1024 and 16777216 bytes; it is 10", failure);
    }

    [Fact]
    public void A_value_that_does_not_convert_is_named_by_its_key()
    {
        var failure = Assert.Single(Failures(("Chat:Writer:MaxBatchSize", "lots")));
        Assert.Contains("'Chat:Writer:MaxBatchSize'", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_key_stops_the_server_and_the_meant_key_is_suggested()
    {
        var failure = Assert.Single(Failures(("Chat:Channels:IdelTimeout", "00:00:30")));
        Assert.StartsWith("Chat:Channels:IdelTimeout is not a setting of this server; did you mean Chat:Channels:IdleTimeout?", failure, StringComparison.Ordinal);
        Assert.Single(Failures(("Chat:Colour", "blue")));
        Assert.Single(Failures(("ConnectionStrings:Other", "x")));
    }

    [Fact]
    public void A_short_or_malformed_signing_key_is_refused_without_being_shown()
    {
        var shortKey = Convert.ToBase64String(new byte[16]);
        var failure = Assert.Single(Failures(("Chat:Auth:SigningKey", shortKey)));
        Assert.StartsWith("Chat:Auth:SigningKey must hold at least 32 bytes", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(shortKey, failure, StringComparison.Ordinal);
        Assert.Equal("Chat:Auth:SigningKey must be base64", Assert.Single(Failures(("Chat:Auth:SigningKey", "not base64!"))));
    }

    [Fact]
    public void Redis_with_sqlite_is_refused_naming_both_keys()
    {
        var failure = Assert.Single(Failures(("ConnectionStrings:Redis", "localhost:6379")));
        Assert.StartsWith("ConnectionStrings:Redis is set, but Chat:Database:Provider is sqlite", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Postgres_needs_a_connection_string_and_an_unknown_provider_is_named()
    {
        Assert.StartsWith("ConnectionStrings:Chat must name the database", Assert.Single(Failures(("Chat:Database:Provider", "postgres"))), StringComparison.Ordinal);
        Assert.Equal("Chat:Database:Provider must be sqlite or postgres; it is \"mysql\"", Assert.Single(Failures(("Chat:Database:Provider", "mysql"))));
    }

    [Fact]
    public void Every_failure_is_reported_at_once()
    {
        var failures = Failures(("Chat:Messages:MaxLength", "0"), ("Chat:RateLimit:Burst", "0"), ("Chat:ForwardedHeaders:KnownProxies:0", "proxy.local"));
        Assert.Equal(3, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Chat:Messages:MaxLength ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Chat:RateLimit:Burst ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Chat:ForwardedHeaders:KnownProxies ", StringComparison.Ordinal));
    }

    [Fact]
    public void Allowed_origins_come_as_a_list_or_as_one_comma_separated_string()
    {
        using var list = Build(("Chat:AllowedOrigins:0", "https://a.example"), ("Chat:AllowedOrigins:1", "https://b.example"));
        using var text = Build(("Chat:AllowedOrigins", "https://a.example, https://b.example"));
        foreach (var services in new[] { list, text })
        {
            services.ValidateChatConfiguration();
            Assert.Equal(["https://a.example", "https://b.example"], services.GetRequiredService<IOptions<ChannelsOptions>>().Value.AllowedOrigins);
        }

        Assert.StartsWith("Chat:AllowedOrigins must hold origins", Assert.Single(Failures(("Chat:AllowedOrigins", "https://a.example/chat"))), StringComparison.Ordinal);
    }

    [Fact]
    public void Writer_limits_and_trusted_proxies_are_configurable()
    {
        using var services = Build(("Chat:Writer:MaxBatchSize", "64"), ("Chat:Writer:QueueCapacity", "128"), ("Chat:ForwardedHeaders:KnownProxies:0", "10.0.0.0/8"));
        services.ValidateChatConfiguration();
        var writer = services.GetRequiredService<IOptions<Chat.Messages.MessageWriterOptions>>().Value;
        Assert.Equal((64, 128), (writer.MaxBatchSize, writer.QueueCapacity));
        var forwarded = services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        Assert.Equal("10.0.0.0/8", Assert.Single(forwarded.KnownIPNetworks).ToString());
        Assert.Empty(forwarded.KnownProxies);
    }

    [Fact]
    public void The_writer_deadlines_are_configurable_and_a_commit_timeout_past_the_send_timeout_is_refused()
    {
        using var services = Build(("Chat:Writer:SendTimeout", "00:00:04"), ("Chat:Writer:CommitTimeout", "00:00:01.500"));
        services.ValidateChatConfiguration();
        var writer = services.GetRequiredService<IOptions<Chat.Messages.MessageWriterOptions>>().Value;
        Assert.Equal((TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(1.5)), (writer.SendTimeout, writer.CommitTimeout));

        Assert.StartsWith("Chat:Writer:CommitTimeout must not be longer than Chat:Writer:SendTimeout",
            Assert.Single(Failures(("Chat:Writer:SendTimeout", "00:00:02"), ("Chat:Writer:CommitTimeout", "00:00:03"))), StringComparison.Ordinal);
        Assert.StartsWith("Chat:Writer:SendTimeout must be between 100 ms and a minute",
            Assert.Single(Failures(("Chat:Writer:SendTimeout", "00:05:00"))), StringComparison.Ordinal);
    }

    [Fact]
    public void Kestrel_schedules_socket_work_inline_only_when_told_to()
    {
        using (var services = Build())
        {
            Assert.False(services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);
        }

        using (var services = Build(("Chat:Transport:InlineScheduling", "true")))
        {
            services.ValidateChatConfiguration();
            Assert.True(services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);
        }
    }

    [Fact]
    public void Tcp_listeners_use_the_channels_transport_unless_told_otherwise()
    {
        var tcp = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0);
        using (var services = Build())
        {
            var ours = Assert.Single(services.GetServices<Microsoft.AspNetCore.Connections.IConnectionListenerFactory>().OfType<Microsoft.AspNetCore.Connections.IConnectionListenerFactorySelector>());
            Assert.True(ours.CanBind(tcp));
            Assert.False(ours.CanBind(new System.Net.Sockets.UnixDomainSocketEndPoint("/tmp/chat.sock")));
        }

        using (var services = Build(("Chat:Transport:OwnSockets", "false")))
        {
            services.ValidateChatConfiguration();
            var ours = Assert.Single(services.GetServices<Microsoft.AspNetCore.Connections.IConnectionListenerFactory>().OfType<Microsoft.AspNetCore.Connections.IConnectionListenerFactorySelector>());
            Assert.False(ours.CanBind(tcp));
        }
    }
}
