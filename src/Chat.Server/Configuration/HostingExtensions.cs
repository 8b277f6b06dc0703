using Chat.Channels;
using Chat.Server.Api;
using Chat.Server.Auth;
using Chat.Server.Channels;
using Chat.Server.Events;
using Chat.Server.Health;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.Server.Configuration;

/// <summary>One call per module, so Program.cs reads as a table of contents.</summary>
public static class HostingExtensions
{
    private const string ReadyTag = "ready";

    /// <summary>Listens on <paramref name="address"/> unless <c>--urls</c> or <c>ASPNETCORE_URLS</c> says otherwise.</summary>
    public static void UseDefaultAddress(this WebApplicationBuilder builder, string address)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(address);
        }
    }

    /// <summary>
    /// Caps connections below the process's open-file limit (or at
    /// <c>Chat:Limits:MaxConnections</c>). Without a cap, running out of file descriptors
    /// took the whole process down (see docs/benchmarks.md); with it, Kestrel refuses the
    /// excess: plain connections are closed at once, sockets past the cap answered 503.
    /// </summary>
    public static void LimitConnections(this WebApplicationBuilder builder)
    {
        var total = builder.Configuration.GetValue<long?>("Chat:Limits:MaxConnections")
            ?? ConnectionLimit.FromOpenFileLimit(ConnectionLimit.ReadOpenFileLimit());
        if (total is { } budget)
        {
            // Kestrel counts a connection as plain until it upgrades, then as upgraded only:
            // the two caps together bound the descriptors.
            var (plain, upgraded) = ConnectionLimit.Split(budget);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Limits.MaxConcurrentConnections = plain;
                kestrel.Limits.MaxConcurrentUpgradedConnections = upgraded;
            });
            // A socket taken over from the HTTP layer no longer counts as Kestrel's upgraded
            // connection: the channel layer counts sockets itself.
            builder.Services.Configure<ChannelsOptions>(options => options.MaxSockets = (int)Math.Min(upgraded, int.MaxValue));
        }
    }

    /// <summary>
    /// Sockets own their connections below HTTP once upgraded, so an idle socket does not keep
    /// its upgrade request alive (see docs/benchmarks.md).
    /// </summary>
    public static void UseChannelsConnections(this WebApplicationBuilder builder) =>
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseChannelsConnections()));

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

    public static IServiceCollection AddChatConfiguration(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ChatServerOptions>().Bind(configuration.GetSection(ChatServerOptions.Section));
        services.AddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>The chat context on the configured database, with its events turned into broadcasts.</summary>
    public static IServiceCollection AddChatContext(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddChat(DatabaseConfiguration.FromConfiguration(configuration));
        services.Configure<ChatOptions>(options =>
            options.MaxMessageLength = configuration.GetValue("Chat:Messages:MaxLength", options.MaxMessageLength));
        services.AddSingleton<IChatEvents, ChannelBroadcastEvents>();
        return services;
    }

    /// <summary>Tokens: issued at sign-in, checked by the socket and by HTTP bearer authentication alike.</summary>
    public static IServiceCollection AddChatAuth(this IServiceCollection services)
    {
        services.AddSingleton<SigningKeyStore>();
        services.AddSingleton<TokenService>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenService>((options, tokens) =>
            {
                options.TokenValidationParameters = tokens.ValidationParameters;
                options.MapInboundClaims = false;
            });
        services.AddAuthorization();
        return services;
    }

    public static IServiceCollection AddChatChannels(this IServiceCollection services, IConfiguration configuration)
    {
        var allowedOrigins = configuration.GetSection("Chat:AllowedOrigins").Get<string[]>() is { Length: > 0 } list
            ? list
            : SplitList(configuration["Chat:AllowedOrigins"]);
        services.AddOptions<RateLimitOptions>().Bind(configuration.GetSection("Chat:RateLimit"));
        services.AddSingleton<RateLimits>();
        services.AddChannels(options =>
        {
            // Limits and timeouts (Chat:Channels:IdleTimeout, :MaxPendingFrames, ...).
            configuration.GetSection("Chat:Channels").Bind(options);
            foreach (var origin in allowedOrigins)
            {
                options.AllowedOrigins.Add(origin);
            }

            options.JsonSerializerOptions.TypeInfoResolverChain.Insert(0, ChatJsonContext.Default);
            options.JsonSerializerOptions.Converters.Add(new UtcTimestampConverter());
        });
        return services;
    }

    /// <summary>JSON in snake_case with generated serializers, problem details for bad requests, OpenAPI, health checks.</summary>
    public static IServiceCollection AddChatApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, ChatJsonContext.Default);
            options.SerializerOptions.Converters.Add(new UtcTimestampConverter());
        });
        services.AddProblemDetails();
        services.AddOpenApi();
        services.AddHealthChecks()
            .AddCheck<ShutdownHealthCheck>("shutdown", tags: [ReadyTag])
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag]);
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
        if (DatabaseConfiguration.MigrateOnStart(app.Configuration))
        {
            await app.Services.MigrateChatDatabaseAsync();
        }

        await app.Services.GetRequiredService<Chat.Rooms.RoomService>().EnsureLobbyAsync();
    }

    // "Chat__AllowedOrigins=https://a.example,https://b.example" arrives as one string.
    private static string[] SplitList(string? value) =>
        value?.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}
