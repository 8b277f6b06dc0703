using Chat.Validation;

namespace Chat.Rooms;

/// <summary>What a room's name and description must be (CONTRACT.md §2); checked here only.</summary>
internal static class RoomRules
{
    public const int NameMaxLength = RoomConfiguration.NameMaxLength;
    public const int DescriptionMaxLength = 1000;

    /// <summary>The trimmed name and description, or field errors.</summary>
    public static FieldErrors? Validate(string? name, string? description, out string cleanName, out string? cleanDescription)
    {
        var errors = new FieldErrors();
        cleanName = TextRules.Required(errors, "name", name, NameMaxLength) ?? "";
        cleanDescription = TextRules.Optional(errors, "description", description, DescriptionMaxLength);
        return errors.IsEmpty ? null : errors;
    }
}
