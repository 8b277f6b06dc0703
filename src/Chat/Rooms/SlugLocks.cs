namespace Chat.Rooms;

/// <summary>
/// Takes turns among this node's room creations whose names make the same slug stem.
/// </summary>
/// <remarks>
/// A creation reads the slugs taken, picks the first free one and inserts; two creations that
/// read at the same moment pick the same slug, and the loser reads again. Eight at once on one
/// node could lose round after round until the retries ran out (seen under load in the test of
/// concurrent creations), so a node lets one creation per stem through at a time and the
/// retries are left for races between nodes. Striped, so that it costs a fixed array whatever
/// the number of names.
/// </remarks>
internal sealed class SlugLocks
{
    private const int Stripes = 64;

    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>Waits for the turn of <paramref name="stem"/>; disposing the result ends it.</summary>
    public async Task<Turn> EnterAsync(string stem, CancellationToken cancellationToken)
    {
        var stripe = _stripes[(int)((uint)StringComparer.Ordinal.GetHashCode(stem) % Stripes)];
        await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Turn(stripe);
    }

    internal readonly struct Turn(SemaphoreSlim stripe) : IDisposable
    {
        public void Dispose() => stripe.Release();
    }
}
