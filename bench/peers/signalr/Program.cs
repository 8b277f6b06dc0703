using Chat.Bench.SignalRPeer;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

// A chat on SignalR, the way the docs teach it: JWT bearer authentication with the token in the
// access_token query string for WebSockets, a hub that puts connections in groups and sends to
// a group, and (for the whole-chat scenario) EF Core with SaveChanges per message.
var builder = WebApplication.CreateBuilder(args);
var settings = builder.Configuration.GetSection("Peer");
var store = settings["Store"] ?? "none";
var signingKey = new SymmetricSecurityKey(Convert.FromBase64String(settings["SigningKey"]
    ?? throw new InvalidOperationException("Peer:SigningKey is required")));

builder.Services
    .AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
    .AddJwtBearer(options =>
    {
        options.MapInboundClaims = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            IssuerSigningKey = signingKey,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateIssuer = false,
            ValidateAudience = false,
            NameClaimType = "name",
        };
        // Browsers cannot set headers on a WebSocket: SignalR sends the token in the query string.
        options.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                var token = context.Request.Query["access_token"];
                if (!string.IsNullOrEmpty(token) && context.HttpContext.Request.Path.StartsWithSegments("/chat"))
                {
                    context.Token = token;
                }

                return Task.CompletedTask;
            },
        };
    });
builder.Services.AddAuthorization();
builder.Services.AddSignalR();

switch (store)
{
    case "sqlite":
        builder.Services.AddDbContext<ChatDbContext>(options => options.UseSqlite(builder.Configuration.GetConnectionString("Chat")));
        break;
    case "postgres":
        builder.Services.AddDbContext<ChatDbContext>(options => options.UseNpgsql(builder.Configuration.GetConnectionString("Chat")));
        break;
    case "none":
        break;
    default:
        throw new InvalidOperationException($"Peer:Store must be none, sqlite or postgres, not {store}");
}

var app = builder.Build();
if (store != "none")
{
    using var scope = app.Services.CreateScope();
    await scope.ServiceProvider.GetRequiredService<ChatDbContext>().Database.EnsureCreatedAsync();
}

app.UseAuthentication();
app.UseAuthorization();
app.MapGet("/healthz", () => "ok");
if (store == "none")
{
    app.MapHub<BroadcastHub>("/chat");
}
else
{
    app.MapHub<StoringHub>("/chat");
}

await app.RunAsync();
