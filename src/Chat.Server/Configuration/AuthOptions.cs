using System.ComponentModel.DataAnnotations;
using Chat.Validation;
using Chat.Server.Auth;

namespace Chat.Server.Configuration;

/// <summary>The <c>Chat:Auth</c> section: how tokens are signed and how long they last.</summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "Chat:Auth";

    /// <summary>Base64 HS256 key, at least 32 bytes. Generated and kept in the data dir when unset.</summary>
    [DataType(DataType.Password)]
    public string? SigningKey { get; set; }

    /// <summary>How long an issued token is valid.</summary>
    [TimeSpanRange("00:01:00", "365.00:00:00", ErrorMessage = "must be between a minute and a year")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(7);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(SigningKey))
        {
            yield break;
        }

        if (SigningKeyStore.TryDecode(SigningKey, out var bytes) is false)
        {
            yield return new ValidationResult("must be base64", [nameof(SigningKey)]);
        }
        else if (bytes.Length < SigningKeyStore.MinimumKeyBytes)
        {
            yield return new ValidationResult(
                $"must hold at least {SigningKeyStore.MinimumKeyBytes} bytes for HS256 (it holds {bytes.Length}); `openssl rand -base64 48` makes one",
                [nameof(SigningKey)]);
        }
    }
}
