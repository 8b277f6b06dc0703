using System.Globalization;
using System.Text;

namespace Chat.Search;

/// <summary>
/// What search sees of a text (CONTRACT.md §6): its words, without case or accents. One
/// function makes the words of every message and of every query, on both providers, so that
/// a query matches the same way on SQLite and PostgreSQL: each index stores these words as
/// they are, and neither database's own tokenizer or dictionary decides anything.
/// </summary>
/// <remarks>
/// A word is a run of letters and digits; accents are folded (<c>Crème</c> → <c>creme</c>,
/// <c>Straße</c> → <c>strasse</c>), case is folded, and a word longer than
/// <see cref="MaxWordLength"/> is cut there (PostgreSQL refuses lexemes over 2 KiB; a query
/// for such a word is cut the same way, so it still matches). A message's document also
/// holds a token for its room, made of a private-use character no text can produce, so that
/// a search within one room is an intersection in the index, not a filter over every match.
/// </remarks>
internal static class SearchText
{
    public const int MaxWordLength = 64;

    /// <summary>The private-use character that starts a room token; letters and digits never include it.</summary>
    private const char RoomMark = '\uE000';

    // Letters that carry no combining accent to strip, so decomposition alone would keep them.
    private static readonly Dictionary<char, string> Folds = new()
    {
        ['ß'] = "ss", ['æ'] = "ae", ['œ'] = "oe", ['ø'] = "o", ['ł'] = "l", ['đ'] = "d", ['ð'] = "d", ['þ'] = "th", ['ı'] = "i",
    };

    /// <summary>The words of <paramref name="text"/>, folded, in order (repeats kept).</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var decomposed = text.Normalize(NormalizationForm.FormD);
        for (var i = 0; i < decomposed.Length; i++)
        {
            var c = decomposed[i];
            // Letters beyond the basic plane (many scripts; not emoji) come as surrogate pairs.
            var pair = char.IsHighSurrogate(c) && i + 1 < decomposed.Length && char.IsLowSurrogate(decomposed[i + 1]);
            var category = pair
                ? CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, decomposed[i + 1]))
                : CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark)
            {
                i += pair ? 1 : 0;
                continue;
            }

            if (category is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
                or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter)
            {
                if (pair)
                {
                    word.Append(c).Append(decomposed[++i]);
                }
                else
                {
                    var lower = char.ToLowerInvariant(c);
                    word.Append(Folds.TryGetValue(lower, out var folded) ? folded : lower.ToString());
                }

                continue;
            }

            i += pair ? 1 : 0;
            Flush(words, word);
        }

        Flush(words, word);
        return words;
    }

    /// <summary>What the index holds for a message: its distinct words and its room's token, space-separated.</summary>
    public static string Document(long roomId, string content)
    {
        var words = Words(content);
        words.Add(RoomToken(roomId));
        return string.Join(' ', words.Distinct(StringComparer.Ordinal));
    }

    /// <summary>The token of a room in every document of its messages.</summary>
    public static string RoomToken(long roomId) => RoomMark + roomId.ToString(CultureInfo.InvariantCulture);

    private static void Flush(List<string> words, StringBuilder word)
    {
        if (word.Length == 0)
        {
            return;
        }

        words.Add(word.Length <= MaxWordLength ? word.ToString() : word.ToString(0, char.IsHighSurrogate(word[MaxWordLength - 1]) ? MaxWordLength - 1 : MaxWordLength));
        word.Clear();
    }
}
