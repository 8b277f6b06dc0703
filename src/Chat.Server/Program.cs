using Chat.Channels;
using Chat.Server.Api;
using Chat.Server.Cli;
using Chat.Server.Configuration;
using Chat.Server.Sockets;
using Chat.Server.Telemetry;
using Chat.Server.Web;

// Before anything starts a pool thread: the runtime reads this once.
ThreadPoolSpin.ConfigureForThisMachine();

// Without a command, this serves the chat; `Chat.Server --help` lists the admin commands,
// which build the same host from the same configuration (ChatHost) and exit.
return await ChatCommandLine.InvokeAsync(args, ServeAsync);

static async Task<int> ServeAsync(string[] configuration)
{
    var builder = ChatHost.CreateBuilder(configuration);
    var app = builder.Build();

    // A bad value stops the server here, naming its key, before anything touches the database.
    app.Services.ValidateChatConfiguration();
    await app.PrepareDatabaseAsync();

    // Behind a trusted proxy, the client's address, scheme and host are the ones it forwards.
    app.UseForwardedHeaders();
    // Errors that leave no body of their own (a body that is not JSON, an unknown route, 401)
    // get a problem-details body, so that a client always learns what went wrong.
    app.UseStatusCodePages();
    app.UseWebApp();
    app.UseAuthentication();
    app.UseAuthorization();
    // After authorization: the limits count per signed-in user.
    app.UseRateLimiter();

    app.MapSocket<UserSocket>("/socket");
    app.MapAccountEndpoints();
    app.MapRoomEndpoints();
    app.MapMessageEndpoints();
    app.MapReadMarkerEndpoints();
    app.MapSearchEndpoints();
    app.MapHealthEndpoints();
    app.MapMetricsEndpoint();
    app.MapOpenApi();

    await app.RunAsync();
    return 0;
}

/// <summary>The entry point, visible to <c>WebApplicationFactory</c>.</summary>
public partial class Program;
