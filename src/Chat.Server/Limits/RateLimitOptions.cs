using System.ComponentModel.DataAnnotations;
using Chat.Validation;

namespace Chat.Server.Limits;

/// <summary>
/// The <c>Chat:RateLimit</c> section: how much one user, or one client address, may do. Every
/// limit holds whichever way the request comes (socket or HTTP), and across every node when
/// the nodes share Redis.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "Chat:RateLimit";

    /// <summary>Messages a user may send per second, sustained, across all their sockets and HTTP; edits, deletes and reactions count too.</summary>
    [Range(0.01, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public double MessagesPerSecond { get; set; } = 10;

    /// <summary>Messages a user may send at once after being quiet.</summary>
    [Range(1, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public int Burst { get; set; } = 20;

    /// <summary>At most one typing notice per user and room in this interval.</summary>
    [TimeSpanRange("00:00:00", "01:00:00", ErrorMessage = "must be between zero and an hour")]
    public TimeSpan TypingInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Rooms a user may create per <see cref="RoomCreationWindow"/>, over HTTP and <c>create_room</c> together.</summary>
    [Range(1, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public int RoomCreations { get; set; } = 10;

    [TimeSpanRange("00:00:01", "1.00:00:00", ErrorMessage = "must be between a second and a day")]
    public TimeSpan RoomCreationWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Failed sign-ins for one username per <see cref="SignInFailureWindow"/>; past it every
    /// sign-in as that user is refused until the window has passed, whatever the password, so
    /// that a password cannot be guessed from many addresses.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public int SignInFailuresPerUsername { get; set; } = 10;

    /// <summary>Failed sign-ins from one client address per <see cref="SignInFailureWindow"/>, whatever the usernames.</summary>
    [Range(1, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public int SignInFailuresPerAddress { get; set; } = 100;

    [TimeSpanRange("00:00:01", "1.00:00:00", ErrorMessage = "must be between a second and a day")]
    public TimeSpan SignInFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sign-ups (attempts, refused ones too) from one client address per <see cref="SignUpWindow"/>.</summary>
    [Range(1, 1_000_000, ErrorMessage = "must be between {1} and {2}")]
    public int SignUpsPerAddress { get; set; } = 100;

    [TimeSpanRange("00:00:01", "1.00:00:00", ErrorMessage = "must be between a second and a day")]
    public TimeSpan SignUpWindow { get; set; } = TimeSpan.FromHours(1);
}
