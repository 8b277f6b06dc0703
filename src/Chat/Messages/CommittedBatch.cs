namespace Chat.Messages;

/// <summary>One transaction's messages and what the store made of each, in the same order.</summary>
internal sealed record CommittedBatch(PendingMessage[] Messages, PostedMessage[] Results);
