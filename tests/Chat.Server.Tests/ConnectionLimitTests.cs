using Chat.Server.Configuration;

namespace Chat.Server.Tests;

public sealed class ConnectionLimitTests
{
    [Theory]
    [InlineData(20_000L, 19_000L)]
    [InlineData(1_024L, 512L)]
    [InlineData(100L, 64L)]
    [InlineData(1_048_576L, 996_148L)]
    public void The_budget_leaves_room_below_the_open_file_limit(long openFiles, long budget) =>
        Assert.Equal(budget, ConnectionLimit.FromOpenFileLimit(openFiles));

    [Fact]
    public void No_limit_means_no_cap() => Assert.Null(ConnectionLimit.FromOpenFileLimit(null));

    [Theory]
    [InlineData(19_000L, 1_000L, 18_000L)]
    [InlineData(512L, 51L, 461L)]
    [InlineData(20L, 2L, 18L)]
    public void Plain_connections_get_a_tenth_up_to_a_thousand_and_sockets_the_rest(long budget, long plain, long upgraded) =>
        Assert.Equal((plain, upgraded), ConnectionLimit.Split(budget));

    [Fact]
    public void This_process_has_a_readable_open_file_limit_on_linux()
    {
        if (OperatingSystem.IsLinux())
        {
            Assert.True(ConnectionLimit.ReadOpenFileLimit() > 0);
        }
    }
}
