namespace Chat.Persistence;

/// <summary>The databases the chat runs on.</summary>
public enum DatabaseProvider
{
    /// <summary>The embedded default: one file in the data dir, nothing to install.</summary>
    Sqlite,

    /// <summary>For more than one machine, or more than one node.</summary>
    Postgres,
}
