using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace Chat.Channels.Internal;

/// <summary>Every log line of the channel layer, source-generated so a disabled level costs nothing.</summary>
internal static partial class ChannelsLog
{
    // One line per connect, join, leave, close and refusal, at Information, with the ids that
    // tie them together; nothing per message above Debug, so a busy server's log stays readable.

    [LoggerMessage(1, LogLevel.Information, "Socket {SocketId} connected over {Transport} from {RemoteIp} with serializer {Serializer}.")]
    public static partial void SocketConnected(ILogger logger, string? socketId, string transport, System.Net.IPAddress? remoteIp, string serializer);

    [LoggerMessage(2, LogLevel.Information, "Socket {SocketId} closed.")]
    public static partial void SocketClosed(ILogger logger, string? socketId);

    [LoggerMessage(3, LogLevel.Information, "Refused a socket from {RemoteIp}: {Reason}.")]
    public static partial void SocketRefused(ILogger logger, System.Net.IPAddress? remoteIp, string reason);

    [LoggerMessage(18, LogLevel.Information, "Socket {SocketId} joined \"{Topic}\".")]
    public static partial void Joined(ILogger logger, string? socketId, string topic);

    [LoggerMessage(19, LogLevel.Information, "Socket {SocketId} was refused \"{Topic}\" by its channel.")]
    public static partial void JoinRefused(ILogger logger, string? socketId, string topic);

    [LoggerMessage(20, LogLevel.Information, "Socket {SocketId} left \"{Topic}\": {Reason}.")]
    public static partial void Left(ILogger logger, string? socketId, string topic, TerminateKind reason);

    [LoggerMessage(4, LogLevel.Information, "Closing socket {SocketId} with {Status}: {Reason}.")]
    public static partial void ClosingSocket(ILogger logger, string? socketId, WebSocketCloseStatus status, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Socket {SocketId} is a slow consumer ({Pending} frames pending); disconnecting it.")]
    public static partial void SlowConsumer(ILogger logger, string? socketId, int pending);

    [LoggerMessage(15, LogLevel.Warning, "Socket {SocketId} is a slow consumer ({Pending} frames, {PendingBytes} bytes waiting to be sent); disconnecting it.")]
    public static partial void SlowConsumer(ILogger logger, string? socketId, int pending, long pendingBytes);

    [LoggerMessage(6, LogLevel.Debug, "Ignoring unmatched topic \"{Topic}\".")]
    public static partial void UnmatchedTopic(ILogger logger, string topic);

    [LoggerMessage(7, LogLevel.Error, "Channel {ChannelType} on \"{Topic}\" crashed.")]
    public static partial void ChannelCrashed(ILogger logger, Exception exception, string channelType, string topic);

    [LoggerMessage(8, LogLevel.Error, "Channel {ChannelType} crashed while joining \"{Topic}\".")]
    public static partial void JoinCrashed(ILogger logger, Exception exception, string channelType, string topic);

    [LoggerMessage(9, LogLevel.Error, "Channel {ChannelType} threw in terminate on \"{Topic}\".")]
    public static partial void TerminateFailed(ILogger logger, Exception exception, string channelType, string topic);

    [LoggerMessage(10, LogLevel.Warning, "Socket {SocketId} reached the limit of {Limit} channels.")]
    public static partial void TooManyChannels(ILogger logger, string? socketId, int limit);

    [LoggerMessage(11, LogLevel.Warning, "Dropped a frame the socket's serializer cannot carry: {Reason}")]
    public static partial void UnencodableFrame(ILogger logger, string reason);

    [LoggerMessage(12, LogLevel.Debug, "Duplicate join of \"{Topic}\"; closing the existing channel.")]
    public static partial void DuplicateJoin(ILogger logger, string topic);

    [LoggerMessage(13, LogLevel.Error, "Unexpected failure in the channel layer.")]
    public static partial void UnexpectedFailure(ILogger logger, Exception exception);

    [LoggerMessage(14, LogLevel.Error, "Cleanup after channel {ChannelType} on \"{Topic}\" ended failed.")]
    public static partial void ExitMonitorFailed(ILogger logger, Exception exception, string channelType, string topic);

    [LoggerMessage(16, LogLevel.Error, "Disposing channel {ChannelType} on \"{Topic}\" or its service scope failed.")]
    public static partial void DisposeFailed(ILogger logger, Exception exception, string channelType, string topic);

    [LoggerMessage(17, LogLevel.Error, "A callback on the Ended token of channel {ChannelType} on \"{Topic}\" threw.")]
    public static partial void EndedCallbackFailed(ILogger logger, Exception exception, string channelType, string topic);
}
