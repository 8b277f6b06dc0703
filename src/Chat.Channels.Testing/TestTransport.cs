using System.Net.WebSockets;
using System.Text.Json;
using Chat.Channels.Internal;
using Chat.Channels.Internal.Serialization;

namespace Chat.Channels.Testing;

/// <summary>Stands in for the WebSocket: decodes every frame the engine sends into the inbox.</summary>
internal sealed class TestTransport : ISocketTransport
{
    public TestInbox<TestMessage> Inbox { get; } = new();

    public WebSocketCloseStatus? CloseStatus { get; private set; }

    public void Send(OutboundFrame frame)
    {
        if (CloseStatus is not null)
        {
            return;
        }

        if (frame.IsBinary)
        {
            throw new NotSupportedException("The test transport only decodes JSON frames.");
        }

        using var document = JsonDocument.Parse(frame.Data);
        var array = document.RootElement;
        Inbox.Add(new TestMessage(
            array[0].GetString(),
            array[1].GetString(),
            array[2].GetString()!,
            array[3].GetString()!,
            array[4].Clone()));
    }

    public void Close(WebSocketCloseStatus status, string description) => CloseStatus ??= status;
}
