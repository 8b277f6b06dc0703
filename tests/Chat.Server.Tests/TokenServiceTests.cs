using System.Security.Cryptography;
using System.Text;
using Chat.Server.Auth;
using Chat.Server.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Chat.Server.Tests;

public sealed class TokenServiceTests
{
    private static readonly string Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    private static TokenService Create(string key, TimeProvider? clock = null, string? dataDir = null)
    {
        var auth = Options.Create(new AuthOptions { SigningKey = key });
        var server = Options.Create(new ChatServerOptions { DataDir = dataDir ?? Path.GetTempPath() });
        return new TokenService(new SigningKeyStore(auth, server, NullLogger<SigningKeyStore>.Instance), auth, clock ?? TimeProvider.System);
    }

    private static string B64(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [Fact]
    public async Task An_issued_token_verifies_to_its_user()
    {
        var tokens = Create(Key);

        var user = await tokens.VerifyAsync(tokens.Issue(new ChatUser(42, "alice")));

        Assert.Equal(new ChatUser(42, "alice"), user);
    }

    [Fact]
    public async Task Tampered_expired_unsigned_and_foreign_tokens_are_refused()
    {
        var tokens = Create(Key);
        var good = tokens.Issue(new ChatUser(42, "alice"));
        var parts = good.Split('.');
        var tampered = $"{parts[0]}.{B64("""{"sub":"1","name":"admin","exp":4102444800}""")}.{parts[2]}";
        var unsigned = $"{B64("""{"alg":"none","typ":"JWT"}""")}.{B64("""{"sub":"42","name":"alice","exp":4102444800}""")}.";
        var foreign = Create(Convert.ToBase64String(RandomNumberGenerator.GetBytes(48))).Issue(new ChatUser(42, "alice"));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(-30));
        var expired = Create(Key, clock).Issue(new ChatUser(42, "alice"));

        foreach (var bad in new[] { tampered, unsigned, foreign, expired, "", "not.a.jwt", null })
        {
            Assert.Null(await tokens.VerifyAsync(bad));
        }
    }

    [Fact]
    public async Task A_missing_key_is_generated_once_and_kept_in_the_data_dir()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "chat-key-" + Guid.NewGuid().ToString("N"));
        try
        {
            var first = Create("", dataDir: dataDir).Issue(new ChatUser(1, "a"));
            var secondInstance = Create("", dataDir: dataDir);

            Assert.True(File.Exists(Path.Combine(dataDir, "signing-key")));
            Assert.NotNull(await secondInstance.VerifyAsync(first));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
