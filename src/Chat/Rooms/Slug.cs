using System.Globalization;
using System.Text;

namespace Chat.Rooms;

/// <summary>
/// Slugs from room names (CONTRACT.md §2): accents folded to ASCII, lower case, every run of
/// other characters one <c>-</c>, no <c>-</c> at either end. <c>Café Crème!</c> → <c>cafe-creme</c>.
/// </summary>
public static class Slug
{
    public const int MaxLength = 80;

    // Letters that carry no combining accent to strip, so decomposition alone would lose them.
    private static readonly Dictionary<char, string> Transliterations = new()
    {
        ['ß'] = "ss", ['æ'] = "ae", ['Æ'] = "ae", ['œ'] = "oe", ['Œ'] = "oe", ['ø'] = "o", ['Ø'] = "o",
        ['ł'] = "l", ['Ł'] = "l", ['đ'] = "d", ['Đ'] = "d", ['ð'] = "d", ['Ð'] = "d", ['þ'] = "th", ['Þ'] = "th",
        ['ı'] = "i",
    };

    /// <summary>The base slug of a name; empty when nothing of it survives folding.</summary>
    public static string From(string name)
    {
        var decomposed = name.Normalize(NormalizationForm.FormD);
        var slug = new StringBuilder(decomposed.Length);
        var pendingDash = false;
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            var folded = Transliterations.TryGetValue(c, out var replacement) ? replacement : c.ToString();
            foreach (var f in folded)
            {
                var lower = char.ToLowerInvariant(f);
                if (lower is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
                {
                    if (pendingDash && slug.Length > 0)
                    {
                        slug.Append('-');
                    }

                    pendingDash = false;
                    slug.Append(lower);
                }
                else
                {
                    pendingDash = true;
                }
            }
        }

        var result = slug.ToString();
        return result.Length <= MaxLength ? result : result[..MaxLength].TrimEnd('-');
    }

    /// <summary>
    /// The first free slug for a base: the base itself, then <c>-2</c>, <c>-3</c>, …; an empty
    /// base becomes <c>room-1</c>, <c>room-2</c>, ….
    /// </summary>
    public static string FirstFree(string baseSlug, IReadOnlySet<string> taken)
    {
        if (baseSlug.Length == 0)
        {
            return FirstFreeNumbered("room", 1, taken);
        }

        return taken.Contains(baseSlug) ? FirstFreeNumbered(baseSlug, 2, taken) : baseSlug;
    }

    private static string FirstFreeNumbered(string stem, int first, IReadOnlySet<string> taken)
    {
        for (var n = first; ; n++)
        {
            var candidate = string.Create(CultureInfo.InvariantCulture, $"{stem}-{n}");
            if (!taken.Contains(candidate))
            {
                return candidate;
            }
        }
    }
}
