using System.Diagnostics;

namespace Chat.LoadGen.Coordinator;

/// <summary>
/// Which cores the server under test and the load generator run on: by default the server on
/// core 0 and every worker on core 1 (<c>taskset</c>), the same for every peer.
/// </summary>
internal sealed record Pinning(string? ServerCpus, string? ClientCpus)
{
    public static Pinning None { get; } = new(null, null);

    public ProcessStartInfo StartInfo(string? cpus, IReadOnlyList<string> command)
    {
        var start = new ProcessStartInfo { UseShellExecute = false };
        if (cpus is null)
        {
            start.FileName = command[0];
            foreach (var argument in command.Skip(1))
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start.FileName = "taskset";
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(cpus);
            foreach (var argument in command)
            {
                start.ArgumentList.Add(argument);
            }
        }

        return start;
    }
}
