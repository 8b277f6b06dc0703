namespace Chat.Channels.Testing;

/// <summary>An expectation of the channel harness that did not hold.</summary>
public sealed class TestAssertionException(string message) : Exception(message);
