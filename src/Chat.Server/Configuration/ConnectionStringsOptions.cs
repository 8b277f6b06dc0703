using System.ComponentModel.DataAnnotations;

namespace Chat.Server.Configuration;

/// <summary>The <c>ConnectionStrings</c> section: the database, and Redis for several nodes.</summary>
public sealed class ConnectionStringsOptions : IValidatableObject
{
    public const string Section = "ConnectionStrings";

    /// <summary>The chat's database; unset, SQLite in the data dir.</summary>
    [DataType(DataType.Password)]
    public string? Chat { get; set; }

    /// <summary>Redis, for several nodes: set, broadcasts, presence and rate limits go through it (docs/deployment.md).</summary>
    [DataType(DataType.Password)]
    public string? Redis { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(Redis) && RedisConfiguration.Parse(Redis) is { } error)
        {
            // The parser's message says what is wrong; the string itself may hold a password.
            yield return new ValidationResult($"is not a Redis configuration: {error}", [nameof(Redis)]);
        }
    }
}
