using System.Text;
using Chat.LoadGen.Protocols;

namespace Chat.LoadGen.Tests;

/// <summary>An <see cref="IProtocolSession"/> that writes down what a protocol told it.</summary>
internal sealed class RecordingSession : IProtocolSession
{
    public List<string> Events { get; } = [];

    public List<string> Sent { get; } = [];

    public string Token => "the-token";

    public void Send(ReadOnlySpan<byte> payload) => Sent.Add(Encoding.UTF8.GetString(payload));

    public void Ready() => Events.Add("ready");

    public void Joined(int joinIndex, bool ok, ReadOnlySpan<byte> record) => Events.Add($"joined {joinIndex} {(ok ? "ok" : "error")}");

    public void Delivered(ReadOnlySpan<byte> record) => Events.Add($"delivered {StampOf(record)}");

    public void Acked(ReadOnlySpan<byte> record) => Events.Add($"acked {StampOf(record)}");

    public void SendFailed(ReadOnlySpan<byte> record) => Events.Add("send failed");

    public void Failed(string reason) => Events.Add($"failed {reason}");

    private static string StampOf(ReadOnlySpan<byte> record) => Stamp.TryRead(record, out var ticks) ? ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
}
