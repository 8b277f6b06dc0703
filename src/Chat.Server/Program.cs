using Chat;
using Chat.Channels;
using Chat.Server.Api;
using Chat.Server.Configuration;
using Chat.Server.Sockets;
using Chat.Server.Web;

var builder = WebApplication.CreateBuilder(args);
builder.UseDefaultAddress("http://localhost:4000");
builder.UseQuietLogging();
builder.LimitConnections();
builder.UseChannelsConnections();

builder.Services.AddChatConfiguration(builder.Configuration);
builder.Services.AddChatContext(builder.Configuration);
builder.Services.AddChatAuth();
builder.Services.AddChatChannels(builder.Configuration);
builder.Services.AddChatApi();

var app = builder.Build();

if (args is ["migrate", ..])
{
    // `dotnet run --project src/Chat.Server -- migrate`: apply migrations, then exit.
    await app.Services.MigrateChatDatabaseAsync();
    return;
}

await app.PrepareDatabaseAsync();

// Errors that leave no body of their own (a body that is not JSON, an unknown route, 401)
// get a problem-details body, so that a client always learns what went wrong.
app.UseStatusCodePages();
app.UseWebApp();
app.UseAuthentication();
app.UseAuthorization();

app.MapSocket<UserSocket>("/socket");
app.MapAccountEndpoints();
app.MapRoomEndpoints();
app.MapMessageEndpoints();
app.MapReadMarkerEndpoints();
app.MapSearchEndpoints();
app.MapHealthEndpoints();
app.MapOpenApi();

await app.RunAsync();

/// <summary>The entry point, visible to <c>WebApplicationFactory</c>.</summary>
public partial class Program;
