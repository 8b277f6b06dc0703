namespace Chat.Channels.Presence;

/// <summary>
/// Who is on a topic, kept up to date for every member: the counterpart of Phoenix.Presence,
/// in the shapes the <c>Presence</c> class of the <c>phoenix</c> JavaScript client reads.
/// </summary>
/// <remarks>
/// <para><b>Tracking.</b> A channel tracks its client under a key (usually the user id) with
/// a small object of metadata, such as <c>{"username": "ann", "online_at": "…"}</c>. The
/// tracker adds a <c>phx_ref</c> that names that one entry, unique across every node and
/// restart. Two channels of one key on one topic (two browser tabs) are one key with two
/// metas. Every change is broadcast to the topic as <c>presence_diff</c>
/// <c>{"joins": {key: {"metas": [meta]}}, "leaves": {}}</c> (or the other way round for a
/// leave), through the pubsub, so members on every node see it.</para>
///
/// <para><b>Untracking.</b> A tracked entry lasts until the channel ends, however it ends:
/// the client leaves, the socket closes, a callback crashes, a duplicate join replaces it,
/// the server shuts down. <see cref="UntrackAsync"/> ends it earlier.</para>
///
/// <para><b>Listing.</b> <see cref="ListAsync"/> returns <c>{key: {"metas": [...]}}</c>, which a
/// channel pushes as <c>presence_state</c> after its join. Pushes before the join reply are
/// not allowed, so ask for it in <see cref="Channel.JoinAsync"/> with
/// <see cref="ChannelSocket.Send"/> and do it in <see cref="Channel.HandleInfoAsync"/>:</para>
/// <code>
/// public override ValueTask&lt;JoinResult&gt; JoinAsync(string topic, Payload payload, ChannelSocket socket)
/// {
///     socket.Send(AfterJoin.Instance);
///     return ValueTask.FromResult(JoinResult.Ok());
/// }
///
/// public override async ValueTask HandleInfoAsync(object message, ChannelSocket socket)
/// {
///     if (message is AfterJoin)
///     {
///         await presence.TrackAsync(socket, socket.Get&lt;string&gt;("user_id"), new { username = socket.Get&lt;string&gt;("username"), online_at = DateTime.UtcNow });
///         socket.Push("presence_state", await presence.ListAsync(socket.Topic));
///     }
/// }
/// </code>
///
/// <para><b>Big topics.</b> Only the <see cref="ChannelsOptions.PresenceListLimit"/> keys
/// present longest are listed: <c>presence_state</c> and <c>presence_diff</c> speak of those
/// alone, and phoenix.js's <c>Presence</c> shows exactly them (when one leaves, the next
/// arrives as a join). Above the limit, members also get <c>presence_count</c>
/// <c>{"count": N}</c>, the number of keys present, at most once a second.</para>
///
/// <para>The default implementation keeps the state in this process. Every method is
/// asynchronous so that a shared store (several nodes behind Redis) can replace it without
/// changing a channel.</para>
/// </remarks>
public interface IPresence
{
    /// <summary>
    /// Tracks the channel's client under <paramref name="key"/> on the channel's topic, and
    /// broadcasts the join to the topic. Safe from any thread.
    /// </summary>
    /// <param name="socket">The channel to track; the entry ends when this channel ends.</param>
    /// <param name="key">What the presence is grouped by, such as a user id.</param>
    /// <param name="meta">
    /// The metadata: any value that serializes to a JSON object with the channel layer's
    /// options (<see cref="ChannelsOptions.JsonSerializerOptions"/>), an already encoded
    /// <see cref="Payload"/> (no reflection), or <c>null</c> for <c>{}</c>. Keep it small:
    /// it goes to every member on every change. A <c>phx_ref</c> of its own is replaced.
    /// </param>
    /// <param name="cancellationToken">Cancels waiting for the topic; a change once made is always broadcast.</param>
    /// <returns>
    /// The entry's <c>phx_ref</c>. A channel that has already ended is not tracked, since it
    /// would be untracked at once; it still gets a fresh ref.
    /// </returns>
    /// <exception cref="ArgumentException">The meta is not a JSON object.</exception>
    /// <exception cref="InvalidOperationException">This channel already tracks <paramref name="key"/>.</exception>
    ValueTask<string> TrackAsync(ChannelSocket socket, string key, object? meta, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops tracking the channel's client under <paramref name="key"/> and broadcasts the
    /// leave of that one meta. Does nothing when the channel does not track the key.
    /// </summary>
    ValueTask UntrackAsync(ChannelSocket socket, string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every presence on <paramref name="topic"/>, encoded as <c>{key: {"metas": [meta, ...]}}</c>
    /// (the empty object when there are none): the payload of <c>presence_state</c>.
    /// </summary>
    ValueTask<Payload> ListAsync(string topic, CancellationToken cancellationToken = default);

    /// <summary>
    /// How many keys are present on <paramref name="topic"/>, listed or not. Above
    /// <see cref="ChannelsOptions.PresenceListLimit"/> it is more than <see cref="ListAsync"/>
    /// holds; push it as <c>presence_count</c> <c>{"count": N}</c> after <c>presence_state</c>,
    /// and the tracker keeps members up to date with the same event.
    /// </summary>
    ValueTask<int> CountAsync(string topic, CancellationToken cancellationToken = default);
}
