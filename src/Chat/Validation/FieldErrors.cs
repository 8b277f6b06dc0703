using System.Globalization;

namespace Chat.Validation;

/// <summary>
/// Validation errors by field, in the shape and the words of Ecto changeset errors:
/// <c>{"content": ["can't be blank"]}</c>. Clients show them next to the field.
/// </summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsEmpty => _errors.Count == 0;

    public IReadOnlyDictionary<string, List<string>> ByField => _errors;

    public FieldErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
        return this;
    }

    public static FieldErrors Of(string field, string message) => new FieldErrors().Add(field, message);

    public override string ToString() =>
        string.Join("; ", _errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}"));
}

/// <summary>The messages Ecto uses, so clients written for Phoenix read ours the same way.</summary>
public static class ErrorMessages
{
    public const string Blank = "can't be blank";
    public const string Taken = "has already been taken";
    public const string InvalidFormat = "has invalid format";
    public const string DoesNotExist = "does not exist";
    public const string Invalid = "is invalid";

    public static string TooLong(int count) => string.Create(CultureInfo.InvariantCulture, $"should be at most {count} character(s)");

    public static string TooShort(int count) => string.Create(CultureInfo.InvariantCulture, $"should be at least {count} character(s)");

    public static string NumberAtLeast(long value) => string.Create(CultureInfo.InvariantCulture, $"must be greater than or equal to {value}");

    public static string NumberAtMost(long value) => string.Create(CultureInfo.InvariantCulture, $"must be less than or equal to {value}");
}
