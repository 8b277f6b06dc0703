using Chat.LoadGen.Coordinator;
using Chat.LoadGen.Worker;

// `Chat.LoadGen worker`: one worker process, driven by the coordinator over stdin/stdout.
// Anything else: the coordinator (bench/run.sh passes the scenarios and their options).
return args is ["worker", ..]
    ? await WorkerHost.RunAsync()
    : await BenchCoordinator.RunAsync(args);
