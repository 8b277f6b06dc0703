using System.Globalization;

namespace Chat.Validation;

/// <summary>Length checks that count what a person sees as characters.</summary>
internal static class TextRules
{
    /// <summary>
    /// Characters as Ecto counts them (graphemes): "é" written as e + accent is one, and so
    /// is an emoji made of several code points.
    /// </summary>
    public static int Length(string text) => new StringInfo(text).LengthInTextElements;

    /// <summary>Trims, then checks the length: blank, too short, too long, or fine.</summary>
    public static string? Required(FieldErrors errors, string field, string? value, int max, int min = 1)
    {
        var trimmed = value?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            errors.Add(field, ErrorMessages.Blank);
            return null;
        }

        CheckLength(errors, field, trimmed, max, min);
        return trimmed;
    }

    /// <summary>Too short or too long, counted in characters; for text taken exactly as typed.</summary>
    public static void CheckLength(FieldErrors errors, string field, string text, int max, int min = 1)
    {
        var length = Length(text);
        if (length < min)
        {
            errors.Add(field, ErrorMessages.TooShort(min));
        }
        else if (length > max)
        {
            errors.Add(field, ErrorMessages.TooLong(max));
        }
    }

    public static string? Optional(FieldErrors errors, string field, string? value, int max)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }

        if (Length(trimmed) > max)
        {
            errors.Add(field, ErrorMessages.TooLong(max));
        }

        return trimmed;
    }
}
