using Chat.Validation;

namespace Chat;

/// <summary>Why the context refused a request that was well formed.</summary>
public enum ChatRefusal
{
    /// <summary>What the request names does not exist (or is a tombstone, or lies in another room).</summary>
    NotFound,

    /// <summary>It exists, but this user may not do that to it (another user's message).</summary>
    Forbidden,
}

/// <summary>
/// The outcome of a request to the context: a value; field errors the client can fix; a
/// refusal (not found, forbidden); or a failure of the storage itself, which the client may
/// retry (with the same client_id, for messages). The host maps each to an HTTP status or a
/// channel reply; the context never knows which.
/// </summary>
public sealed class ChatResult<T>
{
    private ChatResult(T? value, FieldErrors? errors, ChatRefusal? refusal, string? failure)
    {
        Value = value;
        Errors = errors;
        Refusal = refusal;
        Failure = failure;
    }

    public T? Value { get; }

    public FieldErrors? Errors { get; }

    public ChatRefusal? Refusal { get; }

    public string? Failure { get; }

    public bool IsOk => Errors is null && Refusal is null && Failure is null;

    public static ChatResult<T> Ok(T value) => new(value, null, null, null);

    public static ChatResult<T> Invalid(FieldErrors errors) => new(default, errors, null, null);

    public static ChatResult<T> Refused(ChatRefusal refusal) => new(default, null, refusal, null);

    public static ChatResult<T> Failed(string failure) => new(default, null, null, failure);

    /// <summary>The same outcome for another value type; only for results that are not ok.</summary>
    public ChatResult<TOther> Cast<TOther>() => IsOk
        ? throw new InvalidOperationException("An ok result carries a value of its own type.")
        : new(default, Errors, Refusal, Failure);
}
