using Chat.Accounts;

namespace Chat.Mentions;

/// <summary>
/// What a mention is (CONTRACT.md §5): <c>@username</c>, without regard to case, ending at
/// the first character a username cannot hold. The <c>@</c> must not follow a username
/// character, so that an address such as <c>ann@example.com</c> mentions nobody.
/// </summary>
/// <remarks>
/// A username may hold <c>.</c>, <c>-</c> and <c>_</c>, even at its end, so <c>@bob.</c> at
/// the end of a sentence reads as the name <c>bob.</c>. That name comes first: where an
/// account <c>bob.</c> exists, it is the one mentioned. Where none does, the name without
/// its trailing <c>.</c>, <c>-</c> and <c>_</c> is tried (<see cref="MentionName.Shorter"/>),
/// so that a sentence's full stop or an ellipsis does not lose the mention.
/// </remarks>
internal static class MentionRules
{
    /// <summary>The most distinct names one message may mention; the rest are not looked up.</summary>
    public const int MaxNames = 50;

    /// <summary>The names <paramref name="content"/> mentions, normalized, each once, in order.</summary>
    public static IReadOnlyList<MentionName> Names(string content)
    {
        if (!content.Contains('@', StringComparison.Ordinal))
        {
            return [];
        }

        var names = new List<MentionName>();
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

            var name = content.AsSpan(at + 1, end - at - 1);
            if (name.Length < AccountRules.UsernameMinLength || name.Length > AccountRules.UsernameMaxLength)
            {
                continue;
            }

            var shorter = name.TrimEnd("._-");
            var mention = new MentionName(
                AccountRules.Normalize(name.ToString()),
                shorter.Length < name.Length && shorter.Length >= AccountRules.UsernameMinLength ? AccountRules.Normalize(shorter.ToString()) : null);
            if (!names.Contains(mention))
            {
                names.Add(mention);
            }
        }

        return names;
    }
}

/// <summary>
/// One <c>@name</c> of a message: <paramref name="Name"/> as far as username characters go, and,
/// when that ends in <c>.</c>, <c>-</c> or <c>_</c>, the name without them, which it mentions
/// only if <paramref name="Name"/> is nobody's. Both are normalized (<see cref="AccountRules.Normalize"/>).
/// </summary>
internal readonly record struct MentionName(string Name, string? Shorter);
