namespace Chat.Accounts;

/// <summary>An account that signs in with a password.</summary>
public sealed class User
{
    public long Id { get; set; }

    public required string Username { get; set; }

    /// <summary>The username folded to lower case: the unique key, so that "Alice" and "alice" are one name.</summary>
    public required string NormalizedUsername { get; set; }

    /// <summary>ASP.NET Core Identity's salted PBKDF2 hash; never the password.</summary>
    public required string PasswordHash { get; set; }

    public DateTime InsertedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
