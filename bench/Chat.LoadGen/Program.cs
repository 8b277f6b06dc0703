using Chat.LoadGen.Coordinator;
using Chat.LoadGen.Worker;

// `Chat.LoadGen worker`: one worker process, driven by the coordinator over stdin/stdout.
// `Chat.LoadGen report OUT results.json…`: the tables and the chart of earlier runs, merged.
// Anything else: the coordinator (bench/run.sh passes the scenarios and their options).
return args switch
{
    ["worker", ..] => await WorkerHost.RunAsync(),
    ["report", var output, .. var inputs] => await BenchCoordinator.ReportAsync(output, inputs),
    _ => await BenchCoordinator.RunAsync(args),
};
