namespace Chat.Server.Configuration;

/// <summary>
/// On a single core, thread-pool workers that run out of work go to sleep at once instead of
/// spinning first.
/// </summary>
/// <remarks>
/// <para>A pool worker that finds no more work spins (up to 70 turns, the runtime's default)
/// before it sleeps, so that work another core queues meanwhile costs no wake-up. With one core
/// there is no other core: on a single processor every turn of that spin is a
/// <c>sched_yield</c>, which hands the core to whatever else is runnable (often another
/// spinning worker, which yields it back), and nothing can be queued while the spinner holds
/// the core. An idle server pays it after every heartbeat it answers: at 19,000 idle sockets on
/// one core, ~4,000 <c>sched_yield</c> calls and ~2,000 context switches a second, about a
/// quarter of the server's CPU. With more than one core the runtime's default stays.</para>
/// <para>The runtime's own setting wins when it is given, in either of its forms:
/// <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit</c> in the environment or
/// <c>System.Threading.ThreadPool.UnfairSemaphoreSpinLimit</c> in the runtime configuration.</para>
/// </remarks>
internal static class ThreadPoolSpin
{
    private const string SpinLimit = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";

    /// <summary>
    /// Call first thing in the process: the runtime reads the setting once, when the pool
    /// starts its first worker.
    /// </summary>
    public static void ConfigureForThisMachine()
    {
        if (Environment.ProcessorCount == 1 && !IsSetByOperator())
        {
            AppContext.SetData(SpinLimit, 0);
        }
    }

    private static bool IsSetByOperator() =>
        AppContext.GetData(SpinLimit) is not null
        || Environment.GetEnvironmentVariable("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit") is not null
        || Environment.GetEnvironmentVariable("COMPlus_ThreadPool_UnfairSemaphoreSpinLimit") is not null;
}
