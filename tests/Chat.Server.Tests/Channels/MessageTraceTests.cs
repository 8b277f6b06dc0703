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
        // The listener hears every test running meanwhile: this message's trace is the one whose
        // channel span names this room. The publisher may still be ending the broadcast span.
        var topic = $"room:{room.Slug}";
        Activity? Find(string name, ActivityTraceId trace) => spans.SingleOrDefault(s => s.OperationName == name && s.TraceId == trace);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        Activity? root;
        while ((root = spans.SingleOrDefault(s => s.OperationName == "chat.channel.in" && Equals(s.GetTagItem("chat.topic"), topic))) is null
            || Find("chat.message.broadcast", root.TraceId) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the message's spans did not all end");
            await Task.Delay(20);
        }

        var persist = Find("chat.message.persist", root.TraceId)!;
        var replied = Find("chat.message.reply", root.TraceId)!;
        var broadcast = Find("chat.message.broadcast", root.TraceId)!;
        Assert.Equal(reply.Response.GetProperty("message").GetProperty("id").GetInt64(), persist.GetTagItem("chat.message.id"));
        Assert.Equal("new_msg", root.GetTagItem("chat.event"));
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
