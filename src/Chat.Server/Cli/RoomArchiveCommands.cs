using System.CommandLine;
using System.Text.Json;
using Chat.Rooms;
using Chat.Server.Contract;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Chat.Server.Cli;

/// <summary>
/// <c>export-room</c> and <c>import-room</c>: a room with its whole history as JSON lines, in
/// the contract's shapes (<see cref="ArchiveLine"/>), to keep, to move to another install, or
/// to feed another system.
/// </summary>
internal static class RoomArchiveCommands
{
    private const int MaxReportedErrors = 20;

    public static Command CreateExport()
    {
        var slug = new Argument<string>("slug") { Description = "The room to export." };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write to this file instead of standard output." };
        var command = new Command("export-room", "Write a room and all its messages, oldest first, as JSON lines: {\"room\": ROOM}, then {\"message\": MESSAGE} each.")
        {
            slug,
            output,
        };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var wanted = parse.GetValue(slug)!;
            var room = await context.Get<RoomService>().FindAsync(wanted, cancellationToken)
                ?? throw new CommandFailedException($"no room has the slug {wanted}");
            var json = context.Get<IOptions<HttpJsonOptions>>().Value.SerializerOptions;
            var file = parse.GetValue(output);
            await using var stream = file is null ? Console.OpenStandardOutput() : file.Create();
            await using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
            await writer.WriteLineAsync(JsonSerializer.Serialize(new ArchiveRoomLine(room), json));
            long count = 0;
            await foreach (var message in context.Get<RoomArchive>().ReadAsync(room.Id, cancellationToken))
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(new ArchiveMessageLine(message), json));
                count++;
            }

            await writer.FlushAsync(cancellationToken);
            if (file is not null)
            {
                await context.Out.WriteLineAsync($"Exported room {room.Slug} with {count} message(s) to {file.FullName}.");
            }

            return AdminHost.Succeeded;
        });
    }

    public static Command CreateImport()
    {
        var input = new Argument<FileInfo?>("file") { Description = "An archive that export-room wrote; - or nothing reads standard input.", Arity = ArgumentArity.ZeroOrOne };
        var name = new Option<string?>("--name") { Description = "Name the new room this, instead of the archived name." };
        var command = new Command("import-room",
            "Create a new room from an archive that export-room wrote, with every message under its author and time. The whole archive is checked first; " +
            "nothing is stored unless all of it is valid.")
        {
            input,
            name,
        };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var json = context.Get<IOptions<HttpJsonOptions>>().Value.SerializerOptions;
            var archive = context.Get<RoomArchive>();
            var file = parse.GetValue(input);
            string? copy = null;
            try
            {
                var path = file is null || file.Name == "-" ? copy = await CopyStandardInputAsync(cancellationToken) : file.FullName;
                if (!File.Exists(path))
                {
                    throw new CommandFailedException($"there is no file {path}");
                }

                var header = await CheckAsync(path, archive, json, cancellationToken);
                var result = await archive.ImportAsync(parse.GetValue(name) ?? header.Name, header.Description, ReadMessagesAsync(path, json, cancellationToken), cancellationToken);
                var imported = result.OrFail("");
                await context.Out.WriteLineAsync($"Imported room {imported.Room.Name} (slug {imported.Room.Slug}, id {imported.Room.Id}) with {imported.Messages} message(s).");
                return AdminHost.Succeeded;
            }
            finally
            {
                if (copy is not null)
                {
                    File.Delete(copy);
                }
            }
        });
    }

    /// <summary>Reads the whole archive once, before anything is stored; fails with the first errors, by line.</summary>
    private static async Task<ArchivedRoomFields> CheckAsync(string path, RoomArchive archive, JsonSerializerOptions json, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        ArchivedRoomFields? header = null;
        var number = 0;
        await foreach (var text in File.ReadLinesAsync(path, cancellationToken))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var line = Parse(text, json);
            if (number == 1)
            {
                header = line?.Room;
                if (header is null)
                {
                    errors.Add("line 1: an archive starts with {\"room\": {…}}");
                }
            }
            else if (line?.Message is not { } message)
            {
                errors.Add($"line {number}: expected {{\"message\": {{…}}}}");
            }
            else if (archive.Check(ToArchived(message)) is { } invalid)
            {
                errors.Add($"line {number}: {invalid}");
            }

            if (errors.Count >= MaxReportedErrors)
            {
                break;
            }
        }

        if (number == 0)
        {
            errors.Add("the archive is empty");
        }

        return errors.Count == 0
            ? header!
            : throw new CommandFailedException("the archive is not valid, so nothing was imported:" + string.Concat(errors.Select(e => Environment.NewLine + "  " + e)));
    }

    private static async IAsyncEnumerable<ArchivedMessage> ReadMessagesAsync(
        string path, JsonSerializerOptions json, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var first = true;
        await foreach (var text in File.ReadLinesAsync(path, cancellationToken))
        {
            if (first || string.IsNullOrWhiteSpace(text))
            {
                first = false;
                continue;
            }

            yield return ToArchived(Parse(text, json)!.Message!);
        }
    }

    private static ArchiveLine? Parse(string text, JsonSerializerOptions json)
    {
        try
        {
            return JsonSerializer.Deserialize<ArchiveLine>(text, json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ArchivedMessage ToArchived(ArchivedMessageFields message) =>
        new(message.UserId ?? 0, message.Username, message.Content, message.InsertedAt);

    private static async Task<string> CopyStandardInputAsync(CancellationToken cancellationToken)
    {
        var path = Path.GetTempFileName();
        await using var target = File.Create(path);
        await using var source = Console.OpenStandardInput();
        await source.CopyToAsync(target, cancellationToken);
        return path;
    }
}
