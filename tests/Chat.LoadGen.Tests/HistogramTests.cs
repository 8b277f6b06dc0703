using Chat.LoadGen;

namespace Chat.LoadGen.Tests;

public class HistogramTests
{
    [Fact]
    public void Percentiles_are_within_one_percent_of_the_recorded_values()
    {
        var histogram = new Histogram();
        for (var micros = 1; micros <= 100_000; micros++)
        {
            histogram.Record(micros);
        }

        Assert.Equal(100_000, histogram.Count);
        Assert.InRange(histogram.Percentile(50)!.Value, 49_500, 50_500);
        Assert.InRange(histogram.Percentile(99)!.Value, 98_010, 99_990);
        Assert.Equal(100_000, histogram.Max);
        Assert.Equal(100_000, histogram.Percentile(100)!.Value);
    }

    [Fact]
    public void Small_values_are_exact_and_an_empty_histogram_has_no_percentile()
    {
        var histogram = new Histogram();
        Assert.Null(histogram.Percentile(99));
        histogram.Record(3);
        histogram.Record(7);
        Assert.Equal(3, histogram.Percentile(50));
        Assert.Equal(7, histogram.Percentile(99));
    }

    [Fact]
    public void The_sparse_form_carries_counts_and_max_across_processes()
    {
        var worker1 = new Histogram();
        var worker2 = new Histogram();
        for (var i = 0; i < 90; i++)
        {
            worker1.Record(1_000);
        }

        for (var i = 0; i < 10; i++)
        {
            worker2.Record(250_123);
        }

        var merged = Histogram.FromSparse(worker1.ToSparse());
        merged.Merge(Histogram.FromSparse(worker2.ToSparse()));

        Assert.Equal(100, merged.Count);
        Assert.Equal(250_123, merged.Max);
        Assert.InRange(merged.Percentile(90)!.Value, 990, 1_010);
        Assert.InRange(merged.Percentile(95)!.Value, 248_000, 250_123);
    }
}
