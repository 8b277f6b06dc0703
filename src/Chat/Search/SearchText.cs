using System.Buffers;
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
/// <para>
/// Every message sent makes a document on the sender's thread, and on a small machine those
/// threads share the cores with the group-commit writer; so the document is folded into one
/// pooled buffer and becomes one string, with no string per word or per character, and text
/// that is all ASCII (most chat) skips Unicode decomposition, which cannot change it.
/// </para>
/// </remarks>
internal static class SearchText
{
    public const int MaxWordLength = 64;

    /// <summary>The private-use character that starts a room token; letters and digits never include it.</summary>
    private const char RoomMark = '\uE000';

    /// <summary>Letters that carry no combining accent to strip, so decomposition alone would keep them.</summary>
    private static string? Fold(char lower) => lower switch
    {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'đ' or 'ð' => "d",
        'þ' => "th",
        'ı' => "i",
        _ => null,
    };

    /// <summary>The words of <paramref name="text"/>, folded, in order (repeats kept).</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var folded = new Folded(text);
        try
        {
            foreach (var range in folded.Words)
            {
                words.Add(new string(folded.Text[range]));
            }
        }
        finally
        {
            folded.Dispose();
        }

        return words;
    }

    /// <summary>What the index holds for a message: its distinct words and its room's token, space-separated.</summary>
    public static string Document(long roomId, string content)
    {
        var folded = new Folded(content);
        var output = ArrayPool<char>.Shared.Rent(folded.Text.Length + folded.Words.Length + 21);
        try
        {
            var length = 0;
            var kept = 0;
            var words = folded.Words;
            for (var i = 0; i < words.Length; i++)
            {
                var word = folded.Text[words[i]];
                if (IsRepeat(folded.Text, words[..kept], word))
                {
                    continue;
                }

                // Kept words move to the front, so later ones are compared with them only.
                words[kept++] = words[i];
                word.CopyTo(output.AsSpan(length));
                length += word.Length;
                output[length++] = ' ';
            }

            output[length++] = RoomMark;
            roomId.TryFormat(output.AsSpan(length), out var digits, provider: CultureInfo.InvariantCulture);
            return new string(output, 0, length + digits);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(output);
            folded.Dispose();
        }
    }

    /// <summary>The token of a room in every document of its messages.</summary>
    public static string RoomToken(long roomId) => RoomMark + roomId.ToString(CultureInfo.InvariantCulture);

    private static bool IsRepeat(ReadOnlySpan<char> text, ReadOnlySpan<Range> earlier, ReadOnlySpan<char> word)
    {
        foreach (var range in earlier)
        {
            if (text[range].SequenceEqual(word))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A text's words, folded, in a rented buffer: <see cref="Text"/> holds them one after the
    /// other and <see cref="Words"/> says where each one is. Dispose returns the buffers.
    /// </summary>
    private struct Folded : IDisposable
    {
        private readonly char[] _text;
        private readonly Range[] _words;
        private int _length;
        private int _count;

        public Folded(string text)
        {
            // ASCII is its own decomposition; anything else may hold precomposed accents.
            var decomposed = Ascii.IsValid(text) ? text : text.Normalize(NormalizationForm.FormD);
            // A folded character takes at most two (ß → ss); at most one word per two characters, plus one.
            _text = ArrayPool<char>.Shared.Rent((decomposed.Length * 2) + 1);
            _words = ArrayPool<Range>.Shared.Rent((decomposed.Length / 2) + 1);
            var start = 0;
            for (var i = 0; i < decomposed.Length; i++)
            {
                var c = decomposed[i];
                if (char.IsAscii(c))
                {
                    if (char.IsAsciiLetterOrDigit(c))
                    {
                        _text[_length++] = char.IsAsciiLetterUpper(c) ? (char)(c | 0x20) : c;
                    }
                    else
                    {
                        start = EndWord(start);
                    }

                    continue;
                }

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
                        _text[_length++] = c;
                        _text[_length++] = decomposed[++i];
                    }
                    else
                    {
                        var lower = char.ToLowerInvariant(c);
                        if (Fold(lower) is { } folded)
                        {
                            folded.CopyTo(_text.AsSpan(_length));
                            _length += folded.Length;
                        }
                        else
                        {
                            _text[_length++] = lower;
                        }
                    }

                    continue;
                }

                i += pair ? 1 : 0;
                start = EndWord(start);
            }

            EndWord(start);
        }

        public readonly ReadOnlySpan<char> Text => _text.AsSpan(0, _length);

        public readonly Span<Range> Words => _words.AsSpan(0, _count);

        /// <summary>Ends the word that began at <paramref name="start"/>, if any, cut to <see cref="MaxWordLength"/>; returns where the next one begins.</summary>
        private int EndWord(int start)
        {
            var length = _length - start;
            if (length == 0)
            {
                return start;
            }

            if (length > MaxWordLength)
            {
                // Never cut a surrogate pair in two.
                length = char.IsHighSurrogate(_text[start + MaxWordLength - 1]) ? MaxWordLength - 1 : MaxWordLength;
                _length = start + length;
            }

            _words[_count++] = new Range(start, start + length);
            return _length;
        }

        public readonly void Dispose()
        {
            ArrayPool<char>.Shared.Return(_text);
            ArrayPool<Range>.Shared.Return(_words);
        }
    }
}
