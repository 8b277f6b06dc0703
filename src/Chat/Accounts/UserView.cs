namespace Chat.Accounts;

/// <summary>An account as clients see it: never the hash.</summary>
public sealed record UserView(long Id, string Username);
