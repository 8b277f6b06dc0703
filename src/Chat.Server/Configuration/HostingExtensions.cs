using Chat.Channels;
using Chat.Server.Auth;

namespace Chat.Server.Configuration;

/// <summary>One call per module, so Program.cs reads as a table of contents.</summary>
public static class HostingExtensions
{
    /// <summary>Listens on <paramref name="address"/> unless <c>--urls</c> or <c>ASPNETCORE_URLS</c> says otherwise.</summary>
    public static void UseDefaultAddress(this WebApplicationBuilder builder, string address)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(address);
        }
    }

    public static IServiceCollection AddChatConfiguration(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ChatOptions>().Bind(configuration.GetSection(ChatOptions.Section));
        services.AddSingleton(TimeProvider.System);
        return services;
    }

    public static IServiceCollection AddChatAuth(this IServiceCollection services)
    {
        services.AddSingleton<SigningKeyStore>();
        services.AddSingleton<TokenService>();
        return services;
    }

    public static IServiceCollection AddChatChannels(this IServiceCollection services, IConfiguration configuration)
    {
        var allowedOrigins = configuration.GetSection("Chat:AllowedOrigins").Get<string[]>() is { Length: > 0 } list
            ? list
            : SplitList(configuration["Chat:AllowedOrigins"]);
        services.AddChannels(options =>
        {
            // Limits and timeouts (Chat:Channels:IdleTimeout, :MaxPendingFrames, ...).
            configuration.GetSection("Chat:Channels").Bind(options);
            foreach (var origin in allowedOrigins)
            {
                options.AllowedOrigins.Add(origin);
            }
        });
        return services;
    }

    // "Chat__AllowedOrigins=https://a.example,https://b.example" arrives as one string.
    private static string[] SplitList(string? value) =>
        value?.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}
