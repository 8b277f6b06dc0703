namespace Chat;

/// <summary>
/// Who is acting: taken from a verified token by the host, never from a request body.
/// The user need not have a row in <c>users</c>: a host application that shares the
/// signing key mints tokens for its own users.
/// </summary>
public sealed record ChatUser(long Id, string Username);
