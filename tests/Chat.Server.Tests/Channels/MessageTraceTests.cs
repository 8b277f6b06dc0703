using System.Collections.Concurrent;
using System.Diagnostics;
using Chat.Channels;
using Chat.Server.Telemetry;

namespace Chat.Server.Tests.Channels;

/// <summary>The spans of one message sent on a channel: persist, reply and broadcast, under the channel's handling of it.</summary>
public sealed class MessageTraceTests(ChatChannelsHarness harness) : IClassFixture<ChatChannelsHarness>
{
    [Fact]
    public async Task A_message_has_persist_reply_and_broadcast_spans_under_its_channel_span_in_that_order()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is ChannelsDiagnostics.ActivitySourceName or ChatDiagnostics.ActivitySourceName or ServerDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var room = await harness.NewRoomAsync();
        var (_, channel) = await harness.Connect(new ChatUser(7, "tracy")).JoinAsync($"room:{room.Slug}");

        var reply = await channel.PushAsync("new_msg", new { content = "traced" });
        await channel.AssertPushAsync("new_msg");

        Assert.True(reply.IsOk);
        var id = reply.Response.GetProperty("message").GetProperty("id").GetInt64();
        // Other tests run meanwhile: this message's spans are the ones tagged with its id.
        Activity Span(string name) => spans.Single(s => s.OperationName == name && Equals(s.GetTagItem("chat.message.id"), id));
        var persist = Span("chat.message.persist");
        var replied = Span("chat.message.reply");
        var broadcast = Span("chat.message.broadcast");
        var root = spans.Single(s => s.OperationName == "chat.channel.in" && s.SpanId == persist.ParentSpanId);

        Assert.Equal("new_msg", root.GetTagItem("chat.event"));
        Assert.Equal($"room:{room.Slug}", root.GetTagItem("chat.topic"));
        foreach (var span in new[] { persist, replied, broadcast })
        {
            Assert.Equal(root.TraceId, span.TraceId);
            Assert.Equal(root.SpanId, span.ParentSpanId);
        }

        Assert.True(persist.StartTimeUtc + persist.Duration <= replied.StartTimeUtc, "stored before the reply");
        Assert.True(replied.StartTimeUtc <= broadcast.StartTimeUtc, "replied before the broadcast");
        Assert.True(root.StartTimeUtc <= persist.StartTimeUtc);
        Assert.Contains(spans, s => s.OperationName == "chat.channel.join" && Equals(s.GetTagItem("chat.topic"), $"room:{room.Slug}"));
    }
}
