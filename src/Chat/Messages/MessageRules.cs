using Chat.Validation;

namespace Chat.Messages;

/// <summary>What a message and a history request must be (CONTRACT.md §2–§3); checked here only.</summary>
internal static class MessageRules
{
    public const int ClientIdMaxLength = MessageConfiguration.ClientIdMaxLength;
    public const int DefaultHistoryLimit = 50;
    public const int MaxHistoryLimit = 100;

    /// <summary>The most messages a join catches up on; the client reloads past that.</summary>
    public const int MaxCatchUp = 500;

    /// <summary>The trimmed content, or null with its errors added.</summary>
    public static string? Content(FieldErrors errors, string? content, int maxLength) =>
        TextRules.Required(errors, "content", content, maxLength);

    /// <summary>The client_id to store (null when none was given), with its errors added.</summary>
    public static string? ClientId(FieldErrors errors, string? clientId)
    {
        if (string.IsNullOrEmpty(clientId))
        {
            return null;
        }

        // Counted in UTF-16 units, never more than the code points the column counts.
        if (clientId.Length > ClientIdMaxLength)
        {
            errors.Add("client_id", ErrorMessages.TooLong(ClientIdMaxLength));
        }
        else if (!TextRules.HasOnlyAllowedCharacters(clientId))
        {
            errors.Add("client_id", ErrorMessages.InvalidCharacters);
        }

        return clientId;
    }

    /// <summary>The id of the message a request names, or 0 with its errors added.</summary>
    public static long Id(FieldErrors errors, long? id)
    {
        if (id is null)
        {
            errors.Add("id", ErrorMessages.Blank);
            return 0;
        }

        return id.Value;
    }

    /// <summary>The page size a client asked for, or the default.</summary>
    public static int HistoryLimit(FieldErrors errors, int? limit) => PageLimit.Check(errors, limit, DefaultHistoryLimit, MaxHistoryLimit);
}
