using Chat.Benchmarks;

// The message persistence benchmark. `dotnet run -c Release --project bench/Chat.Benchmarks -- --help`
// Numbers print the same everywhere: 12,345.6, not 12.345,6.
System.Globalization.CultureInfo.DefaultThreadCurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    var help = args.Length == 0 || args[0] is "-h" or "--help" or "help";
    (help ? Console.Out : Console.Error).WriteLine(ex.Message);
    return help ? 0 : 2;
}

Console.WriteLine($"== {options.Part} {(options.Part is "fsync" or "report" ? "" : options.ProviderName)}  ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, server GC={System.Runtime.GCSettings.IsServerGC}, load {MachineSample.ReadLoadAverage()})" +
    (options.DropIndexes.Count > 0 ? $"  EXPERIMENT: dropped {string.Join(", ", options.DropIndexes)}" : ""));
switch (options.Part)
{
    case "persist":
        await PersistBenchmark.RunAsync(options);
        break;
    case "history":
        await HistoryBenchmark.RunAsync(options);
        break;
    case "search":
        await SearchBenchmark.RunAsync(options);
        break;
    case "store":
        await StoreBenchmark.RunAsync(options);
        break;
    case "report":
        Report.Run(options);
        break;
    case "fsync":
        FsyncBenchmark.Run(options);
        break;
    default:
        Console.Error.WriteLine($"Unknown part '{options.Part}'.\n\n{BenchOptions.Usage}");
        return 2;
}

return 0;
