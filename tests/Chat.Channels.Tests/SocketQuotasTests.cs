using Chat.Channels.Internal.Transport;

namespace Chat.Channels.Tests;

public sealed class SocketQuotasTests
{
    [Fact]
    public async Task After_a_crowd_of_ids_has_gone_the_table_it_grew_is_given_back_and_counting_goes_on()
    {
        var quotas = new SocketQuotas();
        var options = new ChannelsOptions { MaxSocketsPerId = 1 };
        var claims = new List<IDisposable>();
        for (var user = 0; user < 10_000; user++)
        {
            var (claim, refusal) = await quotas.TryClaimAsync($"user_socket:{user}", "127.0.0.1", options);
            Assert.Null(refusal);
            claims.Add(claim!);
        }

        var crowd = quotas.IdTableCapacity;
        Assert.True(crowd >= 10_000, $"the table holds 10,000 ids in {crowd} slots");

        // All but a few leave, as when a room's sockets close at once.
        foreach (var claim in claims.Skip(3))
        {
            claim.Dispose();
        }

        Assert.True(quotas.IdTableCapacity < 1_024, $"{quotas.IdTableCapacity} slots kept for 3 ids");
        Assert.Equal(1, quotas.CountFor("user_socket:0"));
        Assert.Equal(0, quotas.CountFor("user_socket:9999"));
        var (again, stillFull) = await quotas.TryClaimAsync("user_socket:2", "127.0.0.1", options);
        Assert.Null(again);
        Assert.Equal("too many sockets with this id", stillFull);
        var (back, _) = await quotas.TryClaimAsync("user_socket:9999", "127.0.0.1", options);
        Assert.NotNull(back);
        Assert.Equal(1, quotas.CountFor("user_socket:9999"));
    }
}
