using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Chat;

/// <summary>Rules of the chat that a deployment may change (the <c>Chat:Messages</c> section).</summary>
public sealed class ChatOptions
{
    /// <summary>The longest message, in characters, after trimming (<c>Chat:Messages:MaxLength</c>).</summary>
    [ConfigurationKeyName("MaxLength")]
    [Range(1, 65_536, ErrorMessage = "must be between {1} and {2} characters")]
    public int MaxMessageLength { get; set; } = 4000;
}
