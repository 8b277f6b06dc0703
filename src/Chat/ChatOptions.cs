namespace Chat;

/// <summary>Rules of the chat that a deployment may change (<c>Chat:Messages:MaxLength</c>).</summary>
public sealed class ChatOptions
{
    /// <summary>The longest message, in characters, after trimming.</summary>
    public int MaxMessageLength { get; set; } = 4000;
}
