using Chat.Validation;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Chat.Persistence;

/// <summary>What a failed save means, for either provider.</summary>
internal static class DatabaseErrors
{
    /// <summary>What the field errors of <see cref="TooLongFieldsAsync"/> say about a value longer than its column.</summary>
    public const string TooLongToStore = "is too long to be stored";

    /// <summary>A unique index refused the row: someone else took the name (or slug) first.</summary>
    public static bool IsUniqueViolation(DbUpdateException exception) => exception.InnerException switch
    {
        SqliteException sqlite => sqlite.SqliteExtendedErrorCode is 2067 or 1555,
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    /// <summary>
    /// True when PostgreSQL refused a save because a text is longer than its column (SQLSTATE
    /// 22001). The rules are sized to the columns, so only what they could not foresee gets
    /// here, such as a column a DBA narrowed; <see cref="TooLongFieldsAsync"/> names the fields.
    /// </summary>
    /// <remarks>
    /// Text the database cannot hold for its characters (22021, 22P05) is not mapped: the rules
    /// refuse NUL and unpaired surrogates before any write, and a database whose encoding is not
    /// UTF-8 cannot even be migrated, so no client can cause either.
    /// </remarks>
    public static bool IsValueTooLong(DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.StringDataRightTruncation };

    /// <summary>
    /// The fields of a save refused as too long (<see cref="IsValueTooLong"/>), for a 422 or an
    /// error reply instead of a 500 or <c>channel_crash</c>: the texts it wrote that are longer,
    /// in code points as <c>varchar(n)</c> counts, than their columns are in the database now.
    /// PostgreSQL's error names no column, and the model's lengths are not the database's when
    /// someone changed a column, so the database is asked.
    /// </summary>
    public static async Task<FieldErrors> TooLongFieldsAsync(ChatDbContext db, DbUpdateException exception, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var written = new List<string>();
        foreach (var entry in exception.Entries)
        {
            var table = entry.Metadata.GetTableName();
            var lengths = await db.Database
                .SqlQuery<ColumnLength>($"""
                    SELECT column_name::text AS "Name", character_maximum_length::int AS "Length" FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = {table} AND character_maximum_length IS NOT NULL
                    """)
                .ToDictionaryAsync(column => column.Name, column => column.Length, cancellationToken).ConfigureAwait(false);
            foreach (var property in entry.Properties)
            {
                if (property.CurrentValue is not string text || !(entry.State == EntityState.Added || property.IsModified))
                {
                    continue;
                }

                var column = property.Metadata.GetColumnName();
                written.Add(column);
                if (lengths.TryGetValue(column, out var length) && text.EnumerateRunes().Count() > length && !errors.ByField.ContainsKey(column))
                {
                    errors.Add(column, TooLongToStore);
                }
            }
        }

        if (errors.IsEmpty)
        {
            // The column changed again meanwhile: every text written is a suspect.
            foreach (var column in written.Distinct())
            {
                errors.Add(column, TooLongToStore);
            }
        }

        return errors;
    }

    private sealed class ColumnLength
    {
        public required string Name { get; init; }

        public required int Length { get; init; }
    }
}
