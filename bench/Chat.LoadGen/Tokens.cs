using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Chat.LoadGen;

/// <summary>
/// Mints the tokens every peer checks: HS256 JWTs with <c>sub</c> (the user id), <c>name</c> and
/// <c>exp</c>, as a host application that shares the server's signing key does (CONTRACT.md §1).
/// </summary>
internal static class Tokens
{
    private static readonly string Header = Encode("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8);

    public static string Mint(string signingKeyBase64, long userId, string name, TimeSpan? lifetime = null)
    {
        var expires = DateTimeOffset.UtcNow.Add(lifetime ?? TimeSpan.FromDays(1)).ToUnixTimeSeconds();
        var claims = Encode(Encoding.UTF8.GetBytes($"{{\"sub\":\"{userId}\",\"name\":\"{name}\",\"exp\":{expires}}}"));
        var signingInput = $"{Header}.{claims}";
        var signature = HMACSHA256.HashData(Convert.FromBase64String(signingKeyBase64), Encoding.ASCII.GetBytes(signingInput));
        return $"{signingInput}.{Encode(signature)}";
    }

    private static string Encode(ReadOnlySpan<byte> bytes) => Base64Url.EncodeToString(bytes);
}
