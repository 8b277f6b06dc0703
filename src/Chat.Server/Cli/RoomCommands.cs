using System.CommandLine;
using Chat.Rooms;

namespace Chat.Server.Cli;

/// <summary><c>rooms list | create | rename | delete</c>.</summary>
internal static class RoomCommands
{
    public static Command Create()
    {
        var rooms = new Command("rooms", "List, create, rename and delete rooms. Clients see a rename or a deletion when they next load the room list.");
        rooms.Subcommands.Add(List());
        rooms.Subcommands.Add(CreateRoom());
        rooms.Subcommands.Add(Rename());
        rooms.Subcommands.Add(Delete());
        return rooms;
    }

    private static Argument<string> SlugArgument() => new("slug") { Description = "The room's slug, as in room:SLUG and /rooms/SLUG." };

    private static Command List()
    {
        var command = new Command("list", "Every room: slug, id and name.");
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var rooms = context.Get<RoomService>();
            var page = new RoomPage([], HasMore: true);
            while (page.HasMore)
            {
                page = (await rooms.ListAsync(new RoomListRequest(page.Rooms.LastOrDefault()?.Slug, RoomRules.MaxListLimit), cancellationToken)).OrFail("");
                foreach (var room in page.Rooms)
                {
                    await context.Out.WriteLineAsync($"{room.Slug}\t{room.Id}\t{room.Name}");
                }
            }

            return AdminHost.Succeeded;
        });
    }

    private static Command CreateRoom()
    {
        var name = new Argument<string>("name") { Description = "The room's name; its slug is made from it." };
        var description = new Option<string?>("--description") { Description = "What the room is for." };
        var command = new Command("create", "Create a room.") { name, description };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var room = (await context.Get<RoomService>().CreateAsync(parse.GetValue(name), parse.GetValue(description), cancellationToken)).OrFail("");
            await context.Out.WriteLineAsync($"Created room {room.Name} (slug {room.Slug}, id {room.Id}).");
            return AdminHost.Succeeded;
        });
    }

    private static Command Rename()
    {
        var slug = SlugArgument();
        var name = new Argument<string>("name") { Description = "The new name. The slug stays, so links and topics keep working." };
        var command = new Command("rename", "Give a room a new name.") { slug, name };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var wanted = parse.GetValue(slug)!;
            var room = (await context.Get<RoomService>().RenameAsync(wanted, parse.GetValue(name), cancellationToken)).OrFail($"no room has the slug {wanted}");
            await context.Out.WriteLineAsync($"Renamed room {room.Slug} to {room.Name}.");
            return AdminHost.Succeeded;
        });
    }

    private static Command Delete()
    {
        var slug = SlugArgument();
        var yes = new Option<bool>("--yes") { Description = "Confirm: the room and all its messages are deleted at once." };
        var command = new Command("delete", "Delete a room and every message in it ('export-room' first keeps a copy).") { slug, yes };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            var wanted = parse.GetValue(slug)!;
            if (!parse.GetValue(yes))
            {
                throw new CommandFailedException($"deleting room {wanted} and its messages cannot be undone; run again with --yes to delete it");
            }

            var deleted = (await context.Get<RoomService>().DeleteAsync(wanted, cancellationToken))
                .OrFail($"no room has the slug {wanted}", forbidden: "the lobby cannot be deleted: every install has it");
            await context.Out.WriteLineAsync($"Deleted room {deleted.Room.Name} ({deleted.Room.Slug}) and its {deleted.Messages} message(s).");
            return AdminHost.Succeeded;
        });
    }
}
