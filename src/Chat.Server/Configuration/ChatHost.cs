namespace Chat.Server.Configuration;

/// <summary>The one way the server's host is made, for serving and for the admin commands alike.</summary>
public static class ChatHost
{
    /// <summary>
    /// The host builder with every module registered, reading appsettings, <c>Chat__…</c>
    /// environment variables and <paramref name="args"/>: an admin command builds exactly
    /// what the server builds, so it sees the same database and the same signing key.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.UseDefaultAddress("http://localhost:4000");
        builder.UseQuietLogging();
        builder.UseChannelsConnections();
        builder.Services.AddChatServer(builder.Configuration);
        return builder;
    }
}
