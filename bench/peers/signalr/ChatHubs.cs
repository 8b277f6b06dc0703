using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Chat.Bench.SignalRPeer;

/// <summary>A chat message as the hub sends it: what a client needs to show it.</summary>
public sealed record ChatMessage(long Id, string Room, long UserId, string Username, string Content, string ClientId, DateTime InsertedAt);

/// <summary>Rooms are SignalR groups: join one, send to one.</summary>
[Authorize]
public abstract class RoomsHub : Hub
{
    public Task Join(string room) => Groups.AddToGroupAsync(Context.ConnectionId, room);

    protected long UserId => long.Parse(Context.User!.FindFirstValue("sub")!, System.Globalization.CultureInfo.InvariantCulture);

    protected string Username => Context.User!.FindFirstValue("name")!;
}

/// <summary>Fan-out, idle and small rooms: broadcast only, nothing stored.</summary>
public sealed class BroadcastHub : RoomsHub
{
    private static long s_lastId;

    public async Task<ChatMessage> Send(string room, string content, string clientId)
    {
        var message = new ChatMessage(Interlocked.Increment(ref s_lastId), room, UserId, Username, content, clientId, DateTime.UtcNow);
        await Clients.Group(room).SendAsync("new_msg", message);
        return message;
    }
}

/// <summary>The whole chat: each message saved with EF Core (one SaveChanges per message), broadcast, then acknowledged.</summary>
public sealed class StoringHub(ChatDbContext db) : RoomsHub
{
    public async Task<ChatMessage> Send(string room, string content, string clientId)
    {
        var row = new MessageRow
        {
            Room = room,
            UserId = UserId,
            Username = Username,
            Content = content,
            ClientId = clientId,
            InsertedAt = DateTime.UtcNow,
        };
        db.Messages.Add(row);
        await db.SaveChangesAsync();
        var message = new ChatMessage(row.Id, row.Room, row.UserId, row.Username, row.Content, row.ClientId, row.InsertedAt);
        await Clients.Group(room).SendAsync("new_msg", message);
        return message;
    }
}
