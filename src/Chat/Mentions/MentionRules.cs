using Chat.Accounts;

namespace Chat.Mentions;

/// <summary>
/// What a mention is (CONTRACT.md §5): <c>@username</c>, without regard to case, ending at
/// the first character a username cannot hold. The <c>@</c> must not follow a username
/// character, so that an address such as <c>ann@example.com</c> mentions nobody.
/// </summary>
internal static class MentionRules
{
    /// <summary>The most distinct names one message may mention; the rest are not looked up.</summary>
    public const int MaxNames = 50;

    /// <summary>The normalized usernames <paramref name="content"/> names, each once, in order.</summary>
    public static IReadOnlyList<string> Names(string content)
    {
        if (!content.Contains('@', StringComparison.Ordinal))
        {
            return [];
        }

        var names = new List<string>();
        for (var at = content.IndexOf('@', StringComparison.Ordinal); at >= 0 && names.Count < MaxNames; at = content.IndexOf('@', at + 1))
        {
            if (at > 0 && AccountRules.IsUsernameChar(content[at - 1]))
            {
                continue;
            }

            var end = at + 1;
            while (end < content.Length && AccountRules.IsUsernameChar(content[end]))
            {
                end++;
            }

            var length = end - at - 1;
            if (length >= AccountRules.UsernameMinLength && length <= AccountRules.UsernameMaxLength)
            {
                var name = AccountRules.Normalize(content.Substring(at + 1, length));
                if (!names.Contains(name))
                {
                    names.Add(name);
                }
            }
        }

        return names;
    }
}
