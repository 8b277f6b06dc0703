using System.Globalization;
using System.Text;
using Chat.Validation;

namespace Chat.Reactions;

/// <summary>What a reaction must be (CONTRACT.md §4); checked here only.</summary>
internal static class ReactionRules
{
    public const int MaxEmojiBytes = 32;
    public const int MaxDistinctEmoji = 20;

    /// <summary>The emoji, or null with its errors added: one grapheme cluster of at most 32 bytes, not a space or a control character.</summary>
    public static string? Emoji(FieldErrors errors, string? emoji)
    {
        if (string.IsNullOrEmpty(emoji))
        {
            errors.Add("emoji", ErrorMessages.Blank);
            return null;
        }

        if (Encoding.UTF8.GetByteCount(emoji) > MaxEmojiBytes
            || TextRules.Length(emoji) != 1
            || char.IsWhiteSpace(emoji[0])
            || char.IsControl(emoji[0]))
        {
            errors.Add("emoji", ErrorMessages.InvalidFormat);
            return null;
        }

        return emoji;
    }

    /// <summary>The error when a message already holds <see cref="MaxDistinctEmoji"/> other emoji.</summary>
    public static FieldErrors TooManyEmoji() =>
        FieldErrors.Of("emoji", string.Create(CultureInfo.InvariantCulture, $"should have at most {MaxDistinctEmoji} item(s)"));
}
