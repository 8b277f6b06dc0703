using Chat.Rooms;

namespace Chat.Tests;

public sealed class SlugTests
{
    [Theory]
    [InlineData("Café Crème!", "cafe-creme")]
    [InlineData("  Hello   World  ", "hello-world")]
    [InlineData("Ærøskøbing Straße", "aeroskobing-strasse")]
    [InlineData("Łódź", "lodz")]
    [InlineData("C++ / C#", "c-c")]
    [InlineData("--already-dashed--", "already-dashed")]
    [InlineData("Room 42", "room-42")]
    [InlineData("naïve résumé", "naive-resume")]
    [InlineData("!!!", "")]
    [InlineData("日本語", "")]
    [InlineData("", "")]
    public void Names_become_slugs(string name, string slug) => Assert.Equal(slug, Slug.From(name));

    [Fact]
    public void Long_names_are_cut_without_a_trailing_dash()
    {
        var slug = Slug.From(new string('a', 79) + " b" + new string('c', 30));

        Assert.True(slug.Length <= Slug.MaxLength);
        Assert.False(slug.EndsWith('-'));
    }

    [Theory]
    [InlineData("general", new string[0], "general")]
    [InlineData("general", new[] { "general" }, "general-2")]
    [InlineData("general", new[] { "general", "general-2", "general-3" }, "general-4")]
    [InlineData("general", new[] { "general", "general-3" }, "general-2")]
    [InlineData("", new string[0], "room-1")]
    [InlineData("", new[] { "room-1", "room-2" }, "room-3")]
    public void Clashes_take_the_first_free_number(string baseSlug, string[] taken, string expected) =>
        Assert.Equal(expected, Slug.FirstFree(baseSlug, taken.ToHashSet()));
}
