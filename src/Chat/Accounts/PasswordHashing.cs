namespace Chat.Accounts;

/// <summary>
/// Runs password hashing a few at a time. PBKDF2 is slow on purpose: each hash holds a thread
/// for tens of milliseconds of CPU. A flood of sign-ins or sign-ups hashing all at once took
/// every thread of the pool, and a heartbeat, which needs one for a moment, then waited seconds
/// for the pool to grow. At most half the processors hash at a time; the rest wait their turn
/// without holding a thread.
/// </summary>
internal sealed class PasswordHashing
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, Environment.ProcessorCount / 2));

    public async Task<T> RunAsync<T>(Func<T> hash, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return hash();
        }
        finally
        {
            _slots.Release();
        }
    }
}
