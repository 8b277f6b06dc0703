using System.Security.Cryptography;
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
        if (File.Exists(path))
        {
            return Decode(File.ReadAllText(path).Trim(), path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var key = RandomNumberGenerator.GetBytes(64);
        var temporary = path + ".tmp";
        // Written aside, then moved, so a crash never leaves a half-written key behind.
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(temporary, System.Text.Encoding.ASCII, fileOptions))
        {
            writer.Write(Convert.ToBase64String(key));
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another instance sharing the data dir won the race; use its key.
            File.Delete(temporary);
            return Decode(File.ReadAllText(path).Trim(), path);
        }

        return key;
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
