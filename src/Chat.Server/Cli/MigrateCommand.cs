using System.CommandLine;
using Chat.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Chat.Server.Cli;

/// <summary><c>migrate</c>: the schema, applied by the build that needs it, or written out for a DBA.</summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var script = new Option<bool>("--script")
        {
            Description = "Write the SQL of every migration instead of applying it: an idempotent script (PostgreSQL) that a DBA can review and run, safely, on a database at any version.",
        };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write the script to this file instead of standard output." };
        var command = new Command("migrate", "Apply the database migrations this build carries, then exit (the server also applies them at start unless Chat:Database:MigrateOnStart=false).")
        {
            script,
            output,
        };
        return command.Runs(async (parse, context, cancellationToken) =>
        {
            await using var db = await context.Get<IDbContextFactory<ChatDbContext>>().CreateDbContextAsync(cancellationToken);
            if (parse.GetValue(script))
            {
                return await WriteScriptAsync(db, parse.GetValue(output), context.Out, cancellationToken);
            }

            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            await db.Database.MigrateAsync(cancellationToken);
            foreach (var migration in pending)
            {
                await context.Out.WriteLineAsync($"Applied migration {migration}.");
            }

            await context.Out.WriteLineAsync(pending.Count == 0 ? "The database was up to date." : $"Applied {pending.Count} migration(s); the database is up to date.");
            return AdminHost.Succeeded;
        }, anySchema: true);
    }

    private static async Task<int> WriteScriptAsync(ChatDbContext db, FileInfo? output, TextWriter standardOutput, CancellationToken cancellationToken)
    {
        if (db.Database.IsSqlite())
        {
            throw new CommandFailedException("SQLite cannot run an idempotent script; the server migrates its own file at start, or run 'migrate' without --script.");
        }

        var sql = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);
        if (output is null)
        {
            await standardOutput.WriteAsync(sql);
        }
        else
        {
            await File.WriteAllTextAsync(output.FullName, sql, cancellationToken);
        }

        return AdminHost.Succeeded;
    }
}
