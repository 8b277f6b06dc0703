using Chat.Validation;

namespace Chat;

/// <summary>
/// The outcome of a write: a value; or field errors the client can fix; or a failure of the
/// storage itself, which the client may retry (with the same client_id, for messages).
/// </summary>
public sealed class ChatResult<T>
{
    private ChatResult(T? value, FieldErrors? errors, string? failure)
    {
        Value = value;
        Errors = errors;
        Failure = failure;
    }

    public T? Value { get; }

    public FieldErrors? Errors { get; }

    public string? Failure { get; }

    public bool IsOk => Errors is null && Failure is null;

    public static ChatResult<T> Ok(T value) => new(value, null, null);

    public static ChatResult<T> Invalid(FieldErrors errors) => new(default, errors, null);

    public static ChatResult<T> Failed(string failure) => new(default, null, failure);
}
