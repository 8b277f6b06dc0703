using System.ComponentModel.DataAnnotations;

namespace Chat.Server.Configuration;

/// <summary>The <c>ConnectionStrings</c> section: the database, and (reserved) Redis.</summary>
public sealed class ConnectionStringsOptions : IValidatableObject
{
    public const string Section = "ConnectionStrings";

    /// <summary>The chat's database; unset, SQLite in the data dir.</summary>
    [DataType(DataType.Password)]
    public string? Chat { get; set; }

    /// <summary>Redis, for several nodes. Not served yet by this build: set, it stops the server.</summary>
    [DataType(DataType.Password)]
    public string? Redis { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // CONTRACT.md §0: a key the server cannot honour stops it. Remove this refusal in the
        // change that serves several nodes through Redis.
        if (!string.IsNullOrWhiteSpace(Redis))
        {
            yield return new ValidationResult(
                "is set, but this build serves a single node: broadcasts and presence through Redis are not available yet. Unset it to run one node",
                [nameof(Redis)]);
        }
    }
}
