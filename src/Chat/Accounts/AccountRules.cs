using System.Text.RegularExpressions;
using Chat.Validation;

namespace Chat.Accounts;

/// <summary>What a username and a password must be (CONTRACT.md §1); checked here only.</summary>
internal static partial class AccountRules
{
    public const int UsernameMinLength = 3;
    public const int UsernameMaxLength = UserConfiguration.UsernameMaxLength;
    public const int PasswordMinLength = 8;
    public const int PasswordMaxLength = 200;

    /// <summary>The trimmed username, or null with its errors added.</summary>
    public static string? Username(FieldErrors errors, string? username)
    {
        var clean = TextRules.Required(errors, "username", username, UsernameMaxLength, UsernameMinLength);
        if (clean is not null && !errors.ByField.ContainsKey("username") && !IsUsername(clean))
        {
            errors.Add("username", ErrorMessages.InvalidFormat);
        }

        return clean;
    }

    public static void Password(FieldErrors errors, string? password)
    {
        // Passwords are not trimmed: every character the user typed counts.
        if (string.IsNullOrEmpty(password))
        {
            errors.Add("password", ErrorMessages.Blank);
        }
        else
        {
            TextRules.Check(errors, "password", password, PasswordMaxLength, PasswordMinLength);
        }
    }

    /// <summary>Most characters of an author's name (see <see cref="AuthorName"/>).</summary>
    public const int AuthorNameMaxLength = 64;

    /// <summary>The author's name is stored with each message, in a column of this many code points.</summary>
    public const int AuthorNameMaxBytes = Messages.MessageConfiguration.UsernameMaxLength;

    /// <summary>
    /// The name that messages store as their author's: what a token's <c>name</c> claim holds.
    /// Host applications mint tokens for their own users, whose names need not be usernames of
    /// ours ("Zoë Ångström"), so any text of at most <see cref="AuthorNameMaxLength"/>
    /// characters that fits the column it is stored in. The trimmed name, or null with its errors added.
    /// </summary>
    public static string? AuthorName(FieldErrors errors, string field, string? name) =>
        TextRules.Required(errors, field, name, AuthorNameMaxLength, maxBytes: AuthorNameMaxBytes);

    /// <summary>Whether a token's <c>name</c> may stand as an author's name (<see cref="AuthorName"/>).</summary>
    public static bool IsAuthorName(string? name)
    {
        var errors = new FieldErrors();
        AuthorName(errors, "name", name);
        return errors.IsEmpty;
    }

    /// <summary>
    /// Whether a sign-in attempt could name an account at all: the registration rules, checked
    /// before any hashing, so that a hopeless attempt costs nothing.
    /// </summary>
    public static bool CouldSignIn(string? username, string? password)
    {
        var errors = new FieldErrors();
        Username(errors, username);
        Password(errors, password);
        return errors.IsEmpty;
    }

    /// <summary>True for a character a username may hold; a mention ends at any other.</summary>
    public static bool IsUsernameChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '.' or '-';

    /// <summary>The key that makes usernames unique without regard to case.</summary>
    public static string Normalize(string username) => username.ToLowerInvariant();

    private static bool IsUsername(string text) => UsernamePattern().IsMatch(text);

    // ASCII only: look-alike letters from other scripts would let one user pass for another.
    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex UsernamePattern();
}
