using System.Globalization;

namespace Chat.Validation;

/// <summary>
/// Validation errors by field, in the shape and the words of Ecto changeset errors:
/// <c>{"content": ["can't be blank"]}</c>. Clients show them next to the field.
/// </summary>
public sealed class FieldErrors
{
    // Made at the first error: most input has none, and every message sent is checked.
    private Dictionary<string, List<string>>? _errors;

    public bool IsEmpty => _errors is null;

    public IReadOnlyDictionary<string, List<string>> ByField => _errors ?? (IReadOnlyDictionary<string, List<string>>)System.Collections.ObjectModel.ReadOnlyDictionary<string, List<string>>.Empty;

    public FieldErrors Add(string field, string message)
    {
        _errors ??= new(StringComparer.Ordinal);
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
        return this;
    }

    public static FieldErrors Of(string field, string message) => new FieldErrors().Add(field, message);

    public override string ToString() =>
        string.Join("; ", ByField.Select(e => $"{e.Key} {string.Join(", ", e.Value)}"));
}

/// <summary>The messages Ecto uses, so clients written for Phoenix read ours the same way.</summary>
public static class ErrorMessages
{
    public const string Blank = "can't be blank";
    public const string Taken = "has already been taken";
    public const string InvalidFormat = "has invalid format";
    public const string DoesNotExist = "does not exist";
    public const string Invalid = "is invalid";

    /// <summary>Control characters (other than newline and tab) or text that is not valid Unicode.</summary>
    public const string InvalidCharacters = "has invalid characters";

    public static string TooLong(int count) => string.Create(CultureInfo.InvariantCulture, $"should be at most {count} character(s)");

    /// <summary>Ecto's wording for <c>validate_length(count: :bytes)</c>.</summary>
    public static string TooManyBytes(int count) => string.Create(CultureInfo.InvariantCulture, $"should be at most {count} byte(s)");

    public static string TooShort(int count) => string.Create(CultureInfo.InvariantCulture, $"should be at least {count} character(s)");

    public static string NumberAtLeast(long value) => string.Create(CultureInfo.InvariantCulture, $"must be greater than or equal to {value}");

    public static string NumberAtMost(long value) => string.Create(CultureInfo.InvariantCulture, $"must be less than or equal to {value}");
}
