using Chat.LoadGen.Coordinator;

namespace Chat.LoadGen.Tests;

public class DotnetGcdumpTests
{
    [Fact]
    public void Reads_the_heap_total_and_sums_each_type_over_its_lines()
    {
        const string report = """
               15,023,184  GC Heap bytes
                  101,203  GC Heap objects

            Object Bytes     Count  Type
                  131,096         1  System.Byte[] (Bytes > 100K)  [System.Private.CoreLib.dll]
                      840     2,000  Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.Http1Connection  [Microsoft.AspNetCore.Server.Kestrel.Core.dll]
                       24     1,000  System.Byte[]  [System.Private.CoreLib.dll]
            """;

        var snapshot = DotnetGcdump.Parse(report)!;

        Assert.Equal(15_023_184, snapshot.TotalBytes);
        Assert.Equal((131_096 + 24_000, 1_001), snapshot.Types["System.Byte[]"]);
        Assert.Equal((1_680_000, 2_000), snapshot.Types["Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.Http1Connection"]);
    }

    [Fact]
    public void A_report_without_a_total_is_no_snapshot() => Assert.Null(DotnetGcdump.Parse("dotnet-gcdump: error"));
}
