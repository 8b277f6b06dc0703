using System.Security.Cryptography;
using Chat.Persistence;
using Chat.Server.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Chat.Server.Auth;

/// <summary>
/// The HS256 key for tokens: the configured one, or else one generated on first start and
/// kept in the data dir, so that tokens survive a restart.
/// </summary>
public sealed partial class SigningKeyStore
{
    public const int MinimumKeyBytes = 32;
    private const string KeyFileName = "signing-key";

    public SigningKeyStore(IOptions<AuthOptions> auth, IOptions<ChatServerOptions> server, ILogger<SigningKeyStore> logger)
    {
        var configured = auth.Value.SigningKey;
        byte[] keyBytes;
        if (string.IsNullOrWhiteSpace(configured))
        {
            var path = Path.GetFullPath(server.Value.PathInDataDir(KeyFileName));
            keyBytes = LoadOrCreate(path, out var created);
            if (created)
            {
                LogKeyGenerated(logger, path);
            }
            else
            {
                LogKeyLoaded(logger, path);
            }
        }
        else
        {
            // Validated at start (AuthOptions): base64 of at least MinimumKeyBytes.
            keyBytes = Convert.FromBase64String(configured);
        }

        Key = new SymmetricSecurityKey(keyBytes);
    }

    public SymmetricSecurityKey Key { get; }

    /// <summary>Decodes a base64 key; false when it is not base64.</summary>
    public static bool TryDecode(string base64, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(base64.Trim());
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    private static byte[] LoadOrCreate(string path, out bool created)
    {
        while (true)
        {
            created = false;
            if (File.Exists(path))
            {
                var stored = File.ReadAllText(path).Trim();
                if (stored.Length > 0)
                {
                    return Decode(stored, path);
                }

                // An empty key file is what a power loss left of a key written by an older
                // version, which renamed it into place before flushing it. Tokens signed with
                // that key are gone with it; make a new one rather than refuse to start.
                File.Delete(path);
            }

            OwnerOnlyFiles.CreateDirectory(Path.GetDirectoryName(path)!);
            var key = RandomNumberGenerator.GetBytes(64);
            if (OwnerOnlyFiles.TryCreateDurably(path, System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(key))))
            {
                created = true;
                return key;
            }

            // Another instance sharing the data dir won the race: use its key.
        }
    }

    private static byte[] Decode(string base64, string path) =>
        TryDecode(base64, out var bytes) && bytes.Length >= MinimumKeyBytes
            ? bytes
            : throw new InvalidOperationException(
                $"The signing key in {path} is not base64 of at least {MinimumKeyBytes} bytes. Restore it from a backup, or delete it to make a new one (every token issued so far then stops working).");

    [LoggerMessage(1, LogLevel.Warning,
        "Generated a new token signing key in {Path}. Back it up with the data directory; several nodes must share one key (Chat:Auth:SigningKey).")]
    private static partial void LogKeyGenerated(ILogger logger, string path);

    [LoggerMessage(2, LogLevel.Information, "Token signing key read from {Path}.")]
    private static partial void LogKeyLoaded(ILogger logger, string path);
}
