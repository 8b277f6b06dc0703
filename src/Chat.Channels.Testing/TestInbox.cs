namespace Chat.Channels.Testing;

/// <summary>
/// Messages received and not yet asserted on. An assertion takes the first message that
/// matches, as ExUnit's <c>assert_receive</c> does with a process mailbox.
/// </summary>
internal sealed class TestInbox<T>
    where T : class
{
    private readonly List<T> _pending = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource _arrived = NewSignal();

    public void Add(T item)
    {
        TaskCompletionSource arrived;
        lock (_gate)
        {
            _pending.Add(item);
            arrived = _arrived;
            _arrived = NewSignal();
        }

        arrived.SetResult();
    }

    public async Task<T?> TakeAsync(Func<T, bool> match, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            Task arrived;
            lock (_gate)
            {
                var index = _pending.FindIndex(item => match(item));
                if (index >= 0)
                {
                    var item = _pending[index];
                    _pending.RemoveAt(index);
                    return item;
                }

                arrived = _arrived.Task;
            }

            try
            {
                await arrived.WaitAsync(cancel.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    public IReadOnlyList<T> Snapshot()
    {
        lock (_gate)
        {
            return [.. _pending];
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
