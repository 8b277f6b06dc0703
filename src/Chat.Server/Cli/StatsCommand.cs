using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.Persistence;
using Chat.Server.Admin;
using Chat.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Chat.Server.Cli;

/// <summary><c>stats</c>: what the database holds, and how the node on this machine is doing.</summary>
internal static class StatsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new Command("stats", "Users, rooms and messages stored, the database's size, and the running node's sockets and channels.") { json };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var database = context.Get<ChatDatabase>();
            var counts = await context.Get<ChatStatistics>().CountAsync(cancellationToken);
            var dataDir = context.Get<IOptions<ChatServerOptions>>().Value.DataDir;
            var answer = await ControlClient.AskAsync(ControlSocket.PathFor(dataDir), new ControlRequest(ControlRequest.Stats), cancellationToken);
            var report = new StatsReport(
                database.Provider.ToString().ToLowerInvariant(),
                SqliteBytes(database),
                counts.Users,
                counts.Rooms,
                counts.Messages,
                counts.NewestMessageAt,
                answer?.Node);
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(report, StatsJsonContext.Default.StatsReport));
            }
            else
            {
                await WriteTextAsync(context.Out, report);
            }

            return AdminHost.Succeeded;
        });
    }

    /// <summary>The SQLite file with its write-ahead log, or null on PostgreSQL.</summary>
    private static long? SqliteBytes(ChatDatabase database)
    {
        if (database.Provider != DatabaseProvider.Sqlite)
        {
            return null;
        }

        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
        return new[] { file, file + "-wal" }.Where(File.Exists).Sum(path => new FileInfo(path).Length);
    }

    private static async Task WriteTextAsync(TextWriter output, StatsReport report)
    {
        var c = CultureInfo.InvariantCulture;
        await output.WriteLineAsync(report.DatabaseBytes is { } bytes
            ? string.Create(c, $"database: {report.Database}, {bytes / (1024.0 * 1024.0):0.0} MiB")
            : $"database: {report.Database}");
        await output.WriteLineAsync(string.Create(c, $"users: {report.Users}"));
        await output.WriteLineAsync(string.Create(c, $"rooms: {report.Rooms}"));
        await output.WriteLineAsync(string.Create(c, $"messages: {report.Messages}") +
            (report.NewestMessageAt is { } newest ? string.Create(c, $" (newest {newest:yyyy-MM-dd'T'HH:mm:ss'Z'})") : ""));
        if (report.Node is { } node)
        {
            await output.WriteLineAsync(string.Create(c,
                $"node: running since {node.StartedAt:yyyy-MM-dd'T'HH:mm:ss'Z'} (pid {node.ProcessId}, version {node.Version}, {node.WorkingSetBytes / (1024 * 1024)} MiB)"));
            await output.WriteLineAsync(string.Create(c, $"sockets: {node.ConnectedSockets}"));
            await output.WriteLineAsync(string.Create(c, $"channels: {node.JoinedChannels}"));
        }
        else
        {
            await output.WriteLineAsync("node: not running on this machine with this data directory");
        }
    }
}

internal sealed record StatsReport(
    string Database, long? DatabaseBytes, long Users, long Rooms, long Messages, DateTime? NewestMessageAt, NodeStatus? Node);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StatsReport))]
internal sealed partial class StatsJsonContext : JsonSerializerContext;
