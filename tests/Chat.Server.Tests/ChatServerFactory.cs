using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Chat.Server.Auth;
using Chat.Tests;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Chat.Server.Tests;

/// <summary>
/// The whole server in memory (<see cref="WebApplicationFactory{TEntryPoint}"/>) on a real,
/// fresh database of one provider, with a known signing key.
/// </summary>
public abstract class ChatServerFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "chat-server-tests-" + Guid.NewGuid().ToString("N"));

    public string SigningKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    protected abstract IEnumerable<KeyValuePair<string, string>> DatabaseSettings(string dataDir);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Chat:DataDir", _dataDir);
        builder.UseSetting("Chat:Auth:SigningKey", SigningKey);
        // The writer's deadlines are tested end to end with their defaults (tests/e2e/faults.test.js);
        // here a loaded, shared machine must not turn a slow commit into "unavailable".
        builder.UseSetting("Chat:Writer:SendTimeout", "00:01:00");
        builder.UseSetting("Chat:Writer:CommitTimeout", "00:01:00");
        foreach (var (key, value) in DatabaseSettings(_dataDir))
        {
            builder.UseSetting(key, value);
        }
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public new virtual async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    /// <summary>A token for any user, minted with the shared key as an integrating host would.</summary>
    public string TokenFor(long id, string username) =>
        Services.GetRequiredService<TokenService>().Issue(new ChatUser(id, username));

    public HttpClient ClientWithToken(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<(HttpClient Client, long UserId)> SignedUpClientAsync()
    {
        var name = "u" + Guid.NewGuid().ToString("N")[..10];
        using var anonymous = CreateClient();
        var response = await anonymous.PostAsJsonAsync("/api/users", new { username = name, password = "password123" });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (ClientWithToken(body.GetProperty("token").GetString()!), body.GetProperty("user").GetProperty("id").GetInt64());
    }
}

public sealed class SqliteChatServerFactory : ChatServerFactory
{
    protected override IEnumerable<KeyValuePair<string, string>> DatabaseSettings(string dataDir) =>
        [new("Chat:Database:Provider", "sqlite")];
}

public sealed class PostgresChatServerFactory : ChatServerFactory
{
    private readonly string _database = "chat_http_" + Guid.NewGuid().ToString("N")[..12];

    public string ConnectionString => new NpgsqlConnectionStringBuilder(PostgresDatabaseFixture.AdminConnectionString) { Database = _database }.ConnectionString;

    protected override IEnumerable<KeyValuePair<string, string>> DatabaseSettings(string dataDir) =>
        [new("Chat:Database:Provider", "postgres"), new("ConnectionStrings:Chat", ConnectionString)];

    public override async Task InitializeAsync()
    {
        await using var admin = new NpgsqlConnection(PostgresDatabaseFixture.AdminConnectionString);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
        await create.ExecuteNonQueryAsync();
    }

    public async Task DropDatabaseAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(PostgresDatabaseFixture.AdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await DropDatabaseAsync();
    }
}
