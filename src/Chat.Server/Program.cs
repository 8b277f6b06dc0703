using Chat.Channels;
using Chat.Server.Auth;
using Chat.Server.Configuration;
using Chat.Server.Sockets;
using Chat.Server.Web;

var builder = WebApplication.CreateBuilder(args);
builder.UseDefaultAddress("http://localhost:4000");

builder.Services.AddChatConfiguration(builder.Configuration);
builder.Services.AddChatAuth();
builder.Services.AddChatChannels(builder.Configuration);

var app = builder.Build();

app.UseWebSockets();
app.UseWebApp();
app.MapSocket<UserSocket>("/socket");
app.MapGet("/healthz", () => TypedResults.Ok("ok"));

app.Run();

/// <summary>The entry point, visible to <c>WebApplicationFactory</c>.</summary>
public partial class Program;
