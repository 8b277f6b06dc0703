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
public sealed class SigningKeyStore
{
    public const int MinimumKeyBytes = 32;
    private const string KeyFileName = "signing-key";

    public SigningKeyStore(IOptions<ChatServerOptions> options)
    {
        var configured = options.Value.Auth.SigningKey;
        var keyBytes = string.IsNullOrWhiteSpace(configured)
            ? LoadOrCreate(Path.Combine(options.Value.DataDir, KeyFileName))
            : Decode(configured, "Chat:Auth:SigningKey");
        Key = new SymmetricSecurityKey(keyBytes);
    }

    public SymmetricSecurityKey Key { get; }

    private static byte[] LoadOrCreate(string path)
    {
        while (true)
        {
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

            OwnerOnlyFiles.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var key = RandomNumberGenerator.GetBytes(64);
            if (OwnerOnlyFiles.TryCreateDurably(path, System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(key))))
            {
                return key;
            }

            // Another instance sharing the data dir won the race: use its key.
        }
    }

    private static byte[] Decode(string base64, string source)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The signing key in {source} is not base64.");
        }

        return bytes.Length >= MinimumKeyBytes
            ? bytes
            : throw new InvalidOperationException($"The signing key in {source} has {bytes.Length} bytes; HS256 needs at least {MinimumKeyBytes}.");
    }
}
