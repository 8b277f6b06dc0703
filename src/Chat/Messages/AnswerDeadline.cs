namespace Chat.Messages;

/// <summary>
/// How long a store may wait for the database to answer one request of a batch: the token is
/// cancelled once the database has not answered for the timeout. A store calls
/// <see cref="Answered"/> after every reply, which starts the wait again, so a large batch of
/// many quick round trips runs to its end, and only a database that stops answering is given
/// up on.
/// </summary>
internal sealed class AnswerDeadline : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _timeout;
    private long _lastAnswer;

    public AnswerDeadline(TimeSpan timeout, TimeProvider clock)
    {
        _clock = clock;
        _timeout = timeout;
        _lastAnswer = clock.GetTimestamp();
        _source = new CancellationTokenSource(timeout, clock);
    }

    /// <summary>Cancelled once the database has not answered for the timeout.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>True once the database has not answered for the timeout (checked by the writer's timer, whatever the store is doing).</summary>
    public bool IsOverdue => _clock.GetElapsedTime(Volatile.Read(ref _lastAnswer)) > _timeout;

    /// <summary>The database answered: the wait starts again.</summary>
    public void Answered()
    {
        Volatile.Write(ref _lastAnswer, _clock.GetTimestamp());
        try
        {
            _source.CancelAfter(_timeout);
        }
        catch (ObjectDisposedException)
        {
            // The attempt is over.
        }
    }

    public void Dispose() => _source.Dispose();
}
