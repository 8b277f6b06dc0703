namespace Chat.Channels.Internal.Transport;

/// <summary>
/// A socket id's sockets counted over every node, so that <see cref="ChannelsOptions.MaxSocketsPerId"/>
/// holds whichever nodes a user's sockets reach. A backplane registers one (Redis does); without
/// one each node counts its own sockets only, which is all there is with a single node.
/// </summary>
/// <remarks>
/// <see cref="SocketQuotas"/> tells it this node's count of an id at every change, under its
/// own lock, and an implementation must issue the change before it returns (awaiting only the
/// answer), so that the changes of one id reach the store in the order they were made.
/// </remarks>
internal interface IClusterSocketCounts
{
    /// <summary>
    /// Records that this node now holds <paramref name="count"/> sockets of <paramref name="id"/>,
    /// unless the nodes together would then hold more than <paramref name="limit"/>. True when
    /// recorded, false when refused, null when the store cannot be asked: the node then keeps
    /// the limit on its own sockets only.
    /// </summary>
    ValueTask<bool?> TryRecordAsync(string id, int count, int limit);

    /// <summary>Records this node's count of <paramref name="id"/> after a socket closed or a claim was refused.</summary>
    void Record(string id, int count);
}
