namespace Chat.Server.Configuration;

/// <summary>The host's part of the <c>Chat</c> configuration section (CONTRACT.md §0).</summary>
public sealed class ChatServerOptions
{
    public const string Section = "Chat";

    /// <summary>Where the SQLite file and the generated signing key live.</summary>
    public string DataDir { get; set; } = "./data";

    public AuthOptions Auth { get; set; } = new();

    public sealed class AuthOptions
    {
        /// <summary>Base64 HS256 key, at least 32 bytes. Generated and kept in the data dir when unset.</summary>
        public string? SigningKey { get; set; }

        /// <summary>How long an issued token is valid.</summary>
        public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(7);
    }
}
