namespace Chat.Channels.PubSub;

/// <summary>
/// A broadcast's place in its topic's order: <paramref name="Current"/> comes right after
/// <paramref name="Previous"/> (0 for the first). A room's messages carry their id and the id
/// of the message before them in that room, both fixed when the message was stored, so any
/// node can tell whether it has delivered every broadcast before this one.
/// </summary>
/// <param name="Previous">The position of the broadcast that comes right before this one; 0 for none.</param>
/// <param name="Current">This broadcast's position; greater than <paramref name="Previous"/>.</param>
public readonly record struct BroadcastSequence(long Previous, long Current);
