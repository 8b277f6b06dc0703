using System.Security.Cryptography;
using Chat.Channels.Testing;
using Chat.Messages;
using Chat.Rooms;
using Chat.Server.Configuration;
using Chat.Server.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Server.Tests.Channels;

/// <summary>
/// The chat channels on the channel test harness: the real context on a fresh SQLite file,
/// the real user socket, no WebSocket.
/// </summary>
public sealed class ChatChannelsHarness : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "chat-channel-tests-" + Guid.NewGuid().ToString("N"));

    public ChannelTestHost Host { get; private set; } = null!;

    public RoomService Rooms => Host.Services.GetRequiredService<RoomService>();

    public MessageService Messages => Host.Services.GetRequiredService<MessageService>();

    public Chat.Reactions.ReactionService Reactions => Host.Services.GetRequiredService<Chat.Reactions.ReactionService>();

    public Chat.Accounts.AccountService Accounts => Host.Services.GetRequiredService<Chat.Accounts.AccountService>();

    /// <summary>A registered user (only those can be mentioned).</summary>
    public async Task<ChatUser> NewUserAsync(string stem)
    {
        var user = (await Accounts.RegisterAsync(stem + Guid.NewGuid().ToString("N")[..10], "password123")).Value!;
        return new ChatUser(user.Id, user.Username);
    }

    public async Task InitializeAsync()
    {
        // The host's own registrations (AddChatServer), on the host's own configuration keys:
        // the harness differs from the server only in having no web server and tighter limits.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Chat:DataDir"] = _dataDir,
            ["Chat:Auth:SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)),
            ["Chat:RateLimit:MessagesPerSecond"] = "1",
            ["Chat:RateLimit:Burst"] = "3",
            ["Chat:RateLimit:History:Burst"] = "3",
            ["Chat:RateLimit:History:PerSecond"] = "0.1",
        }).Build();
        Host = ChannelTestHost.Create(services => services.AddLogging().AddChatServer(configuration));
        Host.Services.ValidateChatConfiguration();
        await Host.Services.MigrateChatDatabaseAsync();
        await Rooms.EnsureLobbyAsync();
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDir, recursive: true);
    }

    public TestSocket Connect(ChatUser user) =>
        Host.Connect<UserSocket>(new Dictionary<string, object?> { [UserSocket.UserAssign] = user }, UserSocket.SocketId(user.Id));

    public async Task<RoomView> NewRoomAsync() =>
        (await Rooms.CreateAsync("Room " + Guid.NewGuid().ToString("N")[..8], null)).Value!;
}
