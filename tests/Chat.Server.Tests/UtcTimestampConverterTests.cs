using System.Text.Json;
using Chat.Server.Api;

namespace Chat.Server.Tests;

public sealed class UtcTimestampConverterTests
{
    private static readonly JsonSerializerOptions Options = new() { Converters = { new UtcTimestampConverter() } };

    [Theory]
    [InlineData(123, "2026-11-25T13:00:00.123Z")]
    [InlineData(120, "2026-11-25T13:00:00.120Z")]
    [InlineData(0, "2026-11-25T13:00:00.000Z")]
    public void Times_always_carry_three_fractional_digits(int milliseconds, string expected)
    {
        var time = new DateTime(2026, 11, 25, 13, 0, 0, milliseconds, DateTimeKind.Utc);

        Assert.Equal($"\"{expected}\"", JsonSerializer.Serialize(time, Options));
    }

    [Fact]
    public void Local_times_are_written_in_utc_and_read_back_as_the_same_instant()
    {
        var instant = new DateTime(2026, 11, 25, 13, 0, 0, 250, DateTimeKind.Utc);

        var json = JsonSerializer.Serialize(instant.ToLocalTime(), Options);

        Assert.Equal("\"2026-11-25T13:00:00.250Z\"", json);
        Assert.Equal(instant, JsonSerializer.Deserialize<DateTime>(json, Options));
    }
}
