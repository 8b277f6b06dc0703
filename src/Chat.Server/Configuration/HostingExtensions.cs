using Chat.Channels;
using Chat.Channels.Redis;
using Chat.Messages;
using Chat.Server.Admin;
using Chat.Server.Api;
using Chat.Server.Auth;
using Chat.Server.Channels;
using Chat.Server.Events;
using Chat.Server.Health;
using Chat.Server.Limits;
using Chat.Server.Memory;
using Chat.Server.Telemetry;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Chat.Server.Configuration;

/// <summary>
/// The composition root: one call per module. The server, its admin commands and the tests'
/// harnesses all call <see cref="AddChatServer"/>, so none of them registers a copy that drifts.
/// </summary>
public static class HostingExtensions
{
    private const string ReadyTag = "ready";

    /// <summary>Everything the server is made of, each module with its own options section.</summary>
    public static IServiceCollection AddChatServer(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddChatConfiguration(configuration);
        services.AddChatContext(configuration);
        services.AddChatAuth(configuration);
        services.AddChatChannels(configuration);
        services.AddChatApi(configuration);
        services.AddChatAdmin();
        services.AddChatTelemetry(configuration);
        services.AddChatMemory(configuration);
        return services;
    }

    /// <summary>Listens on <paramref name="address"/> unless <c>--urls</c> or <c>ASPNETCORE_URLS</c> says otherwise.</summary>
    public static void UseDefaultAddress(this WebApplicationBuilder builder, string address)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(address);
        }
    }

    /// <summary>
    /// Quiet defaults that hold wherever the server starts from (appsettings files are read
    /// from the working directory); configuration still overrides them.
    /// </summary>
    public static void UseQuietLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Migrations", LogLevel.Information);
    }

    /// <summary>The keys directly under <c>Chat</c>, the connection strings, and the check that no other key is set.</summary>
    public static IServiceCollection AddChatConfiguration(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddChatOptions<ChatServerOptions>(configuration, ChatServerOptions.Section, ChatServerOptions.ReadOriginList);
        services.AddChatOptions<ConnectionStringsOptions>(configuration, ConnectionStringsOptions.Section);
        services.AddChatOptions<LimitsOptions>(configuration, LimitsOptions.Section);
        services.AddOptions<ConfigurationKeys>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ConfigurationKeys>>(
            provider => new ConfigurationKeyCheck(configuration, provider.GetServices<ConfigurationSectionOwner>()));
        services.TryAddSingleton(TimeProvider.System);

        // Kestrel counts a connection as plain until it upgrades, then as upgraded only: the
        // two caps together bound the descriptors. Without a cap, running out of file
        // descriptors took the whole process down (see docs/benchmarks.md); with it, the excess
        // is refused: plain connections are closed at once, sockets past the cap answered 503.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<LimitsOptions>>((kestrel, limits) =>
        {
            kestrel.Limits.MaxRequestBodySize = limits.Value.MaxRequestBodyBytes;
            if (limits.Value.Budget() is { } budget)
            {
                var (plain, upgraded) = ConnectionLimit.Split(budget);
                kestrel.Limits.MaxConcurrentConnections = plain;
                kestrel.Limits.MaxConcurrentUpgradedConnections = upgraded;
            }
        });
        services.AddChatOptions<TransportOptions>(configuration, TransportOptions.Section);
        services.AddOptions<SocketTransportOptions>().Configure<IOptions<TransportOptions>>(
            (sockets, transport) => sockets.UnsafePreferInlineScheduling = transport.Value.InlineScheduling);
        // Registered after Kestrel's transport, so Kestrel asks it first; with OwnSockets off it
        // declines and Kestrel's socket transport serves the listeners.
        services.AddChannelsTransport();
        services.AddOptions<ChannelsTransportOptions>().Configure<IOptions<TransportOptions>>(
            (channels, transport) => channels.OwnSockets = transport.Value.OwnSockets);
        return services;
    }

    /// <summary>
    /// Sockets own their connections below HTTP once upgraded, so an idle socket does not keep
    /// its upgrade request alive (see docs/benchmarks.md).
    /// </summary>
    public static void UseChannelsConnections(this WebApplicationBuilder builder) =>
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseChannelsConnections()));

    /// <summary>
    /// Memory given back after a busy spell: the transport's block pool is ours, so that it can
    /// be emptied, and a reclaimer empties it and collects once the server goes quiet.
    /// </summary>
    public static IServiceCollection AddChatMemory(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddChatOptions<MemoryOptions>(configuration, MemoryOptions.Section);
        services.AddSingleton<TransportMemoryPoolFactory>();
        // Kestrel registers its own factory; the socket transport takes whichever the container
        // holds when its options are built, so ours replaces it.
        services.RemoveAll<IMemoryPoolFactory<byte>>();
        services.AddSingleton<IMemoryPoolFactory<byte>>(provider => provider.GetRequiredService<TransportMemoryPoolFactory>());
        services.AddHostedService<MemoryReclaimer>();
        return services;
    }

    /// <summary>The chat context on the configured database, with its events turned into broadcasts.</summary>
    public static IServiceCollection AddChatContext(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddChatOptions<DatabaseOptions>(configuration, DatabaseOptions.Section);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DatabaseOptions>>(new DatabaseOptionsValidator(configuration)));
        services.AddChatOptions<ChatOptions>(configuration, "Chat:Messages");
        services.AddChatOptions<MessageWriterOptions>(configuration, "Chat:Writer");
        services.AddChat(provider => DatabaseOptions.Open(
            provider.GetRequiredService<IOptions<DatabaseOptions>>().Value,
            provider.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value,
            provider.GetRequiredService<IOptions<ChatServerOptions>>().Value));
        services.AddSingleton<IChatEvents, ChannelBroadcastEvents>();
        return services;
    }

    /// <summary>Tokens: issued at sign-in, checked by the socket and by HTTP bearer authentication alike.</summary>
    public static IServiceCollection AddChatAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddChatOptions<AuthOptions>(configuration, AuthOptions.Section);
        services.AddSingleton<SigningKeyStore>();
        services.AddSingleton<TokenRevocations>();
        services.AddSingleton<TokenService>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenService>((options, tokens) =>
            {
                options.TokenValidationParameters = tokens.ValidationParameters;
                options.MapInboundClaims = false;
                options.Events = CurrentUser.RequireUserInToken;
            });
        services.AddAuthorization();
        return services;
    }

    public static IServiceCollection AddChatChannels(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddChatRateLimits(configuration);
        services.AddSingleton<RoomChannelServices>();
        var channels = services.AddChannels(options =>
        {
            options.JsonSerializerOptions.TypeInfoResolverChain.Insert(0, ChatJsonContext.Default);
            options.JsonSerializerOptions.Converters.Add(new UtcTimestampConverter());
        });
        services.AddChatOptions<ChannelsOptions>(configuration, "Chat:Channels");
        services.AddOptions<ChannelsOptions>().Configure<IOptions<ChatServerOptions>, IOptions<LimitsOptions>>((options, server, limits) =>
        {
            foreach (var origin in server.Value.AllowedOrigins)
            {
                options.AllowedOrigins.Add(origin);
            }

            // A socket taken over from the HTTP layer no longer counts as Kestrel's upgraded
            // connection: the channel layer counts sockets itself, against the same budget.
            if (limits.Value.Budget() is { } budget)
            {
                options.MaxSockets = (int)Math.Min(ConnectionLimit.Split(budget).Upgraded, int.MaxValue);
            }
        });
        channels.AddRedisWhenConfigured(configuration);
        if (RedisConfiguration.ConnectionString(configuration) is not null)
        {
            // While Redis is away the node serves its own sockets only: not ready (CONTRACT.md §0).
            services.AddHealthChecks().AddRedisChannels("redis", [ReadyTag]);
        }

        return services;
    }

    /// <summary>
    /// JSON in snake_case with generated serializers, problem details for bad requests, OpenAPI,
    /// health checks, and the real client's address and host from trusted proxies.
    /// </summary>
    public static IServiceCollection AddChatApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, ChatJsonContext.Default);
            options.SerializerOptions.Converters.Add(new UtcTimestampConverter());
        });
        services.AddChatOptions<ForwardedHeadersSettings>(configuration, ForwardedHeadersSettings.Section);
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>((options, settings) => settings.Value.ApplyTo(options));
        services.AddProblemDetails();
        services.AddOpenApi();
        services.AddHealthChecks()
            .AddCheck<ShutdownHealthCheck>("shutdown", tags: [ReadyTag])
            // A database that does not answer makes the check time out rather than hang /readyz.
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag], timeout: TimeSpan.FromSeconds(2));
        return services;
    }

    /// <summary><c>/healthz</c> answers while the process lives; <c>/readyz</c> only while its dependencies answer.</summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
        return app;
    }

    /// <summary>Migrates (unless configured off) and makes sure the lobby exists.</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStart)
        {
            await app.Services.MigrateChatDatabaseAsync();
        }

        await app.Services.GetRequiredService<Chat.Rooms.RoomService>().EnsureLobbyAsync();
    }
}
