using System.Globalization;
using System.Text;

namespace Chat.Validation;

/// <summary>
/// The one rule every text field follows (CONTRACT.md §2): a length in characters as a reader
/// counts them, a cap in bytes, and no control characters but newline and tab.
/// </summary>
/// <remarks>
/// <para>Counting graphemes alone is not a cap: "a" followed by a million combining accents is
/// one grapheme and megabytes of UTF-8, which would be stored, broadcast to every member and
/// repeated in every join reply. So each field also has a byte cap, by default four bytes per
/// allowed character (any character a person types fits), checked first: it costs one pass
/// that needs no segmentation, and a text over it is refused without counting graphemes.</para>
/// <para>Control characters have no business in a chat's text and some break storage:
/// PostgreSQL refuses NUL in text, and one NUL would fail a whole group commit. Text that is
/// not valid UTF-16 (an unpaired surrogate) cannot be stored either and is refused the same way.</para>
/// </remarks>
internal static class TextRules
{
    /// <summary>The byte cap of a field of <paramref name="maxLength"/> characters: four bytes each, as UTF-8's longest.</summary>
    public static int DefaultMaxBytes(int maxLength) => (int)Math.Min(4L * maxLength, int.MaxValue);

    /// <summary>
    /// Characters as Ecto counts them (graphemes): "é" written as e + accent is one, and so
    /// is an emoji made of several code points.
    /// </summary>
    public static int Length(string text) => CountGraphemes(text, int.MaxValue);

    /// <summary>
    /// The graphemes of <paramref name="text"/>, counted up to <paramref name="limit"/> and no
    /// further; segmented in place (<see cref="StringInfo"/>'s count allocates an index per
    /// grapheme).
    /// </summary>
    private static int CountGraphemes(ReadOnlySpan<char> text, int limit)
    {
        var count = 0;
        while (!text.IsEmpty && count < limit)
        {
            text = text[StringInfo.GetNextTextElementLength(text)..];
            count++;
        }

        return count;
    }

    /// <summary>Trims, then checks the text: blank, bad characters, too long in bytes, too short or too long, or fine.</summary>
    public static string? Required(FieldErrors errors, string field, string? value, int max, int min = 1, int? maxBytes = null)
    {
        var trimmed = value?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            errors.Add(field, ErrorMessages.Blank);
            return null;
        }

        Check(errors, field, trimmed, max, min, maxBytes);
        return trimmed;
    }

    /// <summary>Like <see cref="Required"/>, but blank is allowed and becomes null.</summary>
    public static string? Optional(FieldErrors errors, string field, string? value, int max, int? maxBytes = null)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }

        Check(errors, field, trimmed, max, min: 0, maxBytes);
        return trimmed;
    }

    /// <summary>
    /// Checks text taken exactly as given (a password is not trimmed): its characters, its
    /// bytes, then its length in characters; adds at most one error for the field.
    /// </summary>
    public static void Check(FieldErrors errors, string field, string text, int max, int min = 1, int? maxBytes = null)
    {
        if (!HasOnlyAllowedCharacters(text))
        {
            errors.Add(field, ErrorMessages.InvalidCharacters);
            return;
        }

        var byteCap = maxBytes ?? DefaultMaxBytes(max);
        // UTF-8 takes at least one byte per UTF-16 unit: a longer string is over without counting.
        if (text.Length > byteCap || Encoding.UTF8.GetByteCount(text) > byteCap)
        {
            errors.Add(field, ErrorMessages.TooManyBytes(byteCap));
            return;
        }

        // A grapheme is at least one UTF-16 unit, so text no longer than the cap in units is
        // within it, and text that is not empty has at least one: most text needs no counting.
        if (text.Length <= max && min <= Math.Min(text.Length, 1))
        {
            return;
        }

        var length = CountGraphemes(text, (int)Math.Min((long)max + 1, int.MaxValue));
        if (length < min)
        {
            errors.Add(field, ErrorMessages.TooShort(min));
        }
        else if (length > max)
        {
            errors.Add(field, ErrorMessages.TooLong(max));
        }
    }

    /// <summary>No control character but newline and tab, and no unpaired surrogate.</summary>
    public static bool HasOnlyAllowedCharacters(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c))
            {
                if (c is not ('\n' or '\t'))
                {
                    return false;
                }
            }
            else if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
