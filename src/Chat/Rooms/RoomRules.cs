using Chat.Validation;

namespace Chat.Rooms;

/// <summary>What a room's name and description must be (CONTRACT.md §2); checked here only.</summary>
internal static class RoomRules
{
    public const int NameMaxLength = 80;

    /// <summary>A name's byte cap, four per character: also the column's length, so the two agree.</summary>
    public const int NameMaxBytes = RoomConfiguration.NameMaxBytes;
    public const int DescriptionMaxLength = 1000;

    public const int DefaultListLimit = 100;
    public const int MaxListLimit = 200;

    /// <summary>The trimmed name and description, or field errors.</summary>
    public static FieldErrors? Validate(string? name, string? description, out string cleanName, out string? cleanDescription)
    {
        var errors = new FieldErrors();
        cleanName = TextRules.Required(errors, "name", name, NameMaxLength, maxBytes: NameMaxBytes) ?? "";
        cleanDescription = TextRules.Optional(errors, "description", description, DescriptionMaxLength);
        return errors.IsEmpty ? null : errors;
    }

    /// <summary>The size of a page of the room list a client asked for, or the default.</summary>
    public static int ListLimit(FieldErrors errors, int? limit) => PageLimit.Check(errors, limit, DefaultListLimit, MaxListLimit);
}
