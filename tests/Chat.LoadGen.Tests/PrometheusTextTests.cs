using Chat.LoadGen.Coordinator;

namespace Chat.LoadGen.Tests;

public sealed class PrometheusTextTests
{
    [Fact]
    public void Sums_a_counter_over_its_labels_and_ignores_other_series()
    {
        const string exposition = """
            # HELP chat_memory_reclaims_total Times the server gave memory back.
            # TYPE chat_memory_reclaims_total counter
            chat_memory_reclaims_total{otel_scope_name="Chat.Server"} 2 1700000000000
            chat_memory_reclaims_total{otel_scope_name="Other"} 1
            chat_memory_reclaims_total_created 1700000000
            chat_memory_reclaimsx_total 40
            """;

        Assert.Equal(3, PrometheusText.Counter(exposition, "chat_memory_reclaims_total"));
    }

    [Fact]
    public void A_counter_without_labels_is_read_too()
    {
        Assert.Equal(7, PrometheusText.Counter("chat_memory_reclaims_total 7\n", "chat_memory_reclaims_total"));
    }

    [Fact]
    public void A_counter_not_yet_incremented_reads_as_zero()
    {
        Assert.Equal(0, PrometheusText.Counter("# EOF\nhttp_requests_total 5\n", "chat_memory_reclaims_total"));
    }
}
