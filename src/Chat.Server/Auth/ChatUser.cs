namespace Chat.Server.Auth;

/// <summary>Who a verified token speaks for. Channels and handlers take identity only from here.</summary>
public sealed record ChatUser(long Id, string Username);
