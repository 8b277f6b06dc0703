namespace Chat.Validation;

/// <summary>The one rule for every page a client asks for: a size from 1 to a maximum, or a default.</summary>
internal static class PageLimit
{
    /// <summary>The page size a client asked for, or <paramref name="defaultLimit"/>; out of bounds, a <c>limit</c> error.</summary>
    public static int Check(FieldErrors errors, int? limit, int defaultLimit, int maxLimit)
    {
        if (limit is not { } asked)
        {
            return defaultLimit;
        }

        if (asked < 1)
        {
            errors.Add("limit", ErrorMessages.NumberAtLeast(1));
        }
        else if (asked > maxLimit)
        {
            errors.Add("limit", ErrorMessages.NumberAtMost(maxLimit));
        }

        return asked;
    }
}
