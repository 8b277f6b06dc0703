using System.Net.WebSockets;
using Chat.Channels.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels.Tests;

public sealed class ChannelLifecycleTests : IAsyncLifetime
{
    private ChannelTestHost _host = null!;

    private TerminateLog Terminations => _host.Services.GetRequiredService<TerminateLog>();

    public Task InitializeAsync()
    {
        _host = ChannelTestHost.Create(
            services => services.AddSingleton<TerminateLog>(),
            options => options.MaxChannelsPerSocket = 3);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private TestSocket Connect(string user = "ann", string? id = null) =>
        _host.Connect<TestSocketHandler>(new Dictionary<string, object?> { ["user"] = user }, id);

    [Fact]
    public async Task Join_replies_ok_with_the_channel_reply_and_the_socket_assigns()
    {
        var (reply, _) = await Connect("ann").JoinAsync("echo:1");

        Assert.True(reply.IsOk);
        Assert.Equal("echo:1", reply.Response.Str("topic"));
        Assert.Equal("ann", reply.Response.Str("user"));
    }

    [Fact]
    public async Task Join_without_a_reply_answers_an_empty_object()
    {
        var (reply, _) = await Connect().JoinAsync("echo:1", new { silent = true });

        Assert.True(reply.IsOk);
        Assert.Equal("{}", reply.Response.GetRawText());
    }

    [Fact]
    public async Task A_refused_join_replies_error_and_leaves_no_channel()
    {
        var socket = Connect();

        var (reply, channel) = await socket.JoinAsync("echo:1", new { refuse = true });

        Assert.Equal("error", reply.Status);
        Assert.Equal("refused", reply.Response.Str("reason"));
        // The refused channel still counts against the socket's cap until it has finished
        // closing, which follows the reply; it must then be gone.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (socket.ChannelCount != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, socket.ChannelCount);
        var afterwards = await channel.PushAsync("echo", new { x = 1 });
        Assert.Equal("unmatched topic", afterwards.Response.Str("reason"));
    }

    [Fact]
    public async Task A_join_that_throws_replies_join_crashed()
    {
        var (reply, _) = await Connect().JoinAsync("echo:1", new { crash = true });

        Assert.Equal("error", reply.Status);
        Assert.Equal("join crashed", reply.Response.Str("reason"));
    }

    [Fact]
    public async Task Nothing_can_be_pushed_before_the_join_completes_and_after_join_work_follows_the_reply()
    {
        var socket = Connect();

        var (reply, channel) = await socket.JoinAsync("echo:1", new { after_join = true });

        Assert.True(reply.Response.GetProperty("push_refused").GetBoolean());
        var info = await channel.AssertPushAsync("after_join");
        Assert.Equal("echo:1", info.Str("topic"));
        await channel.RefutePushAsync("too_early");
    }

    [Fact]
    public async Task A_socket_with_more_channels_than_it_keeps_in_its_small_table_finds_each_and_leaves_one_alone()
    {
        await using var host = ChannelTestHost.Create(
            services => services.AddSingleton<TerminateLog>(),
            options => options.MaxChannelsPerSocket = 40);
        var socket = host.Connect<TestSocketHandler>(new Dictionary<string, object?> { ["user"] = "ann" });
        var channels = new List<TestChannel>();
        for (var i = 0; i < 20; i++)
        {
            var (reply, channel) = await socket.JoinAsync($"echo:{i}");
            Assert.True(reply.IsOk);
            channels.Add(channel);
        }

        Assert.True((await channels[3].LeaveAsync()).IsOk);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (socket.ChannelCount != 19 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(19, socket.ChannelCount);
        for (var i = 0; i < 20; i++)
        {
            var reply = await channels[i].PushAsync("echo", new { text = $"to {i}" });
            if (i == 3)
            {
                Assert.Equal("unmatched topic", reply.Response.Str("reason"));
            }
            else
            {
                Assert.True(reply.IsOk);
                Assert.Equal($"to {i}", reply.Response.Str("text"));
            }
        }
    }

    [Fact]
    public async Task Push_gets_a_reply_with_any_status()
    {
        var (_, channel) = await Connect().JoinAsync("echo:1");

        var ok = await channel.PushAsync("echo", new { text = "hi" });
        var custom = await channel.PushAsync("status", new { status = "queued" });
        var unknown = await channel.PushAsync("no_such_event");

        Assert.True(ok.IsOk);
        Assert.Equal("hi", ok.Response.Str("text"));
        Assert.Equal("queued", custom.Status);
        Assert.Equal("error", unknown.Status);
        Assert.Equal("unknown event", unknown.Response.Str("reason"));
    }

    [Fact]
    public async Task A_channel_can_reply_later_through_its_socket_ref()
    {
        var (_, channel) = await Connect().JoinAsync("echo:1");

        var reply = await channel.PushAsync("reply_later");

        Assert.True(reply.Response.GetProperty("later").GetBoolean());
    }

    [Fact]
    public async Task Messages_are_handled_one_at_a_time_in_arrival_order()
    {
        var socket = Connect();
        var (_, channel) = await socket.JoinAsync("echo:1");

        // The first message is the slowest; a concurrent mailbox would answer it last.
        var refs = new List<string>();
        for (var seq = 0; seq < 5; seq++)
        {
            refs.Add(await channel.PushNoWaitAsync("slow", new { seq, ms = 40 - (seq * 10) }));
        }

        for (var seq = 0; seq < 5; seq++)
        {
            var reply = await socket.AssertReplyAsync(refs[seq]);
            Assert.Equal(seq, reply.Response.GetProperty("seq").GetInt32());
            Assert.Equal(seq + 1, reply.Response.GetProperty("handled").GetInt32());
        }
    }

    [Fact]
    public async Task Broadcast_reaches_every_member_including_the_sender_with_null_refs()
    {
        var ann = Connect("ann");
        var bob = Connect("bob");
        var (_, annRoom) = await ann.JoinAsync("echo:room");
        var (_, bobRoom) = await bob.JoinAsync("echo:room");

        await annRoom.PushAsync("broadcast", new { text = "hello" });

        Assert.Equal("hello", (await annRoom.AssertPushAsync("shout")).Str("text"));
        Assert.Equal("hello", (await bobRoom.AssertPushAsync("shout")).Str("text"));
    }

    [Fact]
    public async Task BroadcastFrom_skips_the_sending_channel()
    {
        var ann = Connect("ann");
        var bob = Connect("bob");
        var (_, annRoom) = await ann.JoinAsync("echo:room");
        var (_, bobRoom) = await bob.JoinAsync("echo:room");

        await annRoom.PushAsync("broadcast_from", new { text = "psst" });

        Assert.Equal("psst", (await bobRoom.AssertPushAsync("shout")).Str("text"));
        await annRoom.RefutePushAsync("shout");
    }

    [Fact]
    public async Task Intercepted_events_run_handle_out_once_per_recipient()
    {
        var ann = Connect("ann");
        var bob = Connect("bob");
        var cid = Connect("cid");
        var (_, annRoom) = await ann.JoinAsync("echo:room");
        var (_, bobRoom) = await bob.JoinAsync("echo:room");
        var (_, cidRoom) = await cid.JoinAsync("echo:room");

        await annRoom.PushAsync("broadcast_intercepted", new { drop_for = "bob" });

        Assert.Equal("ann", (await annRoom.AssertPushAsync("intercepted")).Str("seen_by"));
        Assert.Equal("cid", (await cidRoom.AssertPushAsync("intercepted")).Str("seen_by"));
        await bobRoom.RefutePushAsync("intercepted");
    }

    [Fact]
    public async Task Broadcasts_from_outside_any_channel_reach_members_and_probes()
    {
        var (_, room) = await Connect().JoinAsync("echo:room");
        using var probe = await _host.SubscribeAsync("echo:room");

        await _host.Broadcaster.BroadcastAsync("echo:room", "shout", new { text = "from http" });

        Assert.Equal("from http", (await room.AssertPushAsync("shout")).Str("text"));
        Assert.Equal("from http", (await probe.AssertBroadcastAsync("shout")).Str("text"));
    }

    [Fact]
    public async Task Broadcasts_published_while_a_join_runs_arrive_right_after_the_join_reply()
    {
        var socket = Connect();
        var topic = $"echo:room-{Guid.NewGuid():N}";
        var joining = socket.JoinAsync(topic, new { hold_ms = 200 });
        await EchoChannel.JoinHoldingAsync(topic);

        await _host.Broadcaster.BroadcastAsync(topic, "shout", new { text = "during join" });
        var (reply, room) = await joining;

        Assert.True(reply.IsOk);
        Assert.Equal("during join", (await room.AssertPushAsync("shout")).Str("text"));
    }

    [Fact]
    public async Task Sequenced_broadcasts_the_join_reply_already_held_are_not_sent_again()
    {
        var pubSub = _host.Services.GetRequiredService<Chat.Channels.PubSub.IPubSub>();
        var topic = $"echo:seq-{Guid.NewGuid():N}";
        ValueTask Numbered(long n) => pubSub.BroadcastAsync(
            new Chat.Channels.PubSub.Broadcast(topic, "n", Payload.FromJson(System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{n}}}")))
            {
                Sequence = new Chat.Channels.PubSub.BroadcastSequence(n - 1, n),
            });
        var socket = Connect();
        var joining = socket.JoinAsync(topic, new { hold_ms = 200, sequenced_through = 5 });
        await EchoChannel.JoinHoldingAsync(topic);

        // Published while the join reads: 4 and 5 are in its reply, 6 is not.
        await Numbered(4);
        await Numbered(5);
        await _host.Broadcaster.BroadcastAsync(topic, "shout", new { text = "not sequenced" });
        await Numbered(6);
        var (reply, channel) = await joining;
        // After the reply: 5 again (published late, from another node), then 7.
        await Numbered(5);
        await Numbered(7);

        Assert.True(reply.IsOk);
        Assert.Equal("not sequenced", (await channel.AssertPushAsync("shout")).Str("text"));
        Assert.Equal(6, (await channel.AssertPushAsync("n")).GetProperty("n").GetInt32());
        Assert.Equal(7, (await channel.AssertPushAsync("n")).GetProperty("n").GetInt32());
        await channel.RefutePushAsync("n", TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Send_to_self_runs_handle_info_after_the_current_callback()
    {
        var (_, channel) = await Connect().JoinAsync("echo:1");

        await channel.PushAsync("send_self");

        Assert.Equal("echo:1", (await channel.AssertPushAsync("info")).Str("topic"));
    }

    [Fact]
    public async Task Leave_replies_ok_then_closes_the_channel_with_reason_left()
    {
        var socket = Connect();
        var (_, channel) = await socket.JoinAsync("echo:1");

        var reply = await channel.LeaveAsync();

        Assert.True(reply.IsOk);
        await channel.AssertPushAsync("phx_close");
        Assert.Equal(TerminateKind.Left, (await Terminations.WaitForAsync("echo:1")).Kind);
        Assert.Equal(0, socket.ChannelCount);
    }

    [Fact]
    public async Task Leaving_a_topic_that_is_not_joined_is_answered_ok()
    {
        var reply = await Connect().SendAndAwaitReplyAsync("9", null, "echo:never", "phx_leave");

        Assert.True(reply.IsOk);
    }

    [Fact]
    public async Task Stop_replies_then_closes_with_the_channel_reason()
    {
        var (_, channel) = await Connect().JoinAsync("echo:1");

        var reply = await channel.PushAsync("stop");

        Assert.True(reply.Response.GetProperty("stopping").GetBoolean());
        await channel.AssertPushAsync("phx_close");
        var reason = await Terminations.WaitForAsync("echo:1");
        Assert.Equal(TerminateKind.Stopped, reason.Kind);
        Assert.Equal("requested", reason.Detail);
    }

    [Fact]
    public async Task A_crash_sends_phx_error_to_that_topic_and_the_socket_lives_on()
    {
        var socket = Connect();
        var (_, crashing) = await socket.JoinAsync("echo:crashing");
        var (_, healthy) = await socket.JoinAsync("echo:healthy");

        await crashing.PushNoWaitAsync("crash");

        Assert.Equal("channel_crash", (await crashing.AssertPushAsync("phx_error")).Str("reason"));
        Assert.Equal(TerminateKind.Crashed, (await Terminations.WaitForAsync("echo:crashing")).Kind);
        Assert.True((await healthy.PushAsync("echo", new { still = "here" })).IsOk);
        Assert.Null(socket.CloseStatus);
        var (rejoin, _) = await socket.JoinAsync("echo:crashing");
        Assert.True(rejoin.IsOk);
    }

    [Fact]
    public async Task A_duplicate_join_closes_the_old_channel_before_answering_the_new_one()
    {
        var socket = Connect();
        var (_, first) = await socket.JoinAsync("echo:1");

        var (second, secondChannel) = await socket.JoinAsync("echo:1");

        Assert.True(second.IsOk);
        var close = await socket.ReceiveAsync(m => m.Event == "phx_close");
        Assert.NotNull(close);
        Assert.Equal(first.JoinRef, close.JoinRef);
        Assert.Equal(TerminateKind.DuplicateJoin, (await Terminations.WaitForAsync("echo:1")).Kind);
        Assert.True((await secondChannel.PushAsync("echo")).IsOk);
        Assert.Equal(1, socket.ChannelCount);
    }

    [Fact]
    public async Task A_push_with_a_stale_join_ref_is_ignored()
    {
        var socket = Connect();
        var (_, first) = await socket.JoinAsync("echo:1");
        await socket.JoinAsync("echo:1");

        var staleRef = await first.PushNoWaitAsync("echo");

        Assert.Null(await socket.ReceiveAsync(m => m.Ref == staleRef, TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task A_push_to_a_topic_never_joined_gets_unmatched_topic_with_a_null_join_ref()
    {
        var socket = Connect();

        var @ref = await socket.SendAsync("5", "echo:elsewhere", "echo");

        var reply = await socket.ReceiveAsync(m => m.Ref == @ref);
        Assert.NotNull(reply);
        Assert.Null(reply.JoinRef);
        Assert.Equal("unmatched topic", reply.Payload.GetProperty("response").Str("reason"));
    }

    [Fact]
    public async Task The_channel_limit_refuses_one_join_too_many()
    {
        var socket = Connect();
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await socket.JoinAsync($"echo:{i}")).Reply.IsOk);
        }

        var (reply, _) = await socket.JoinAsync("echo:overflow");

        Assert.Equal("too many channels joined", reply.Response.Str("reason"));
        Assert.True((await socket.JoinAsync("echo:0")).Reply.IsOk, "rejoining a joined topic does not count twice");
    }

    [Fact]
    public async Task Heartbeats_are_answered_on_the_phoenix_topic()
    {
        var reply = await Connect().SendAndAwaitReplyAsync(null, null, "phoenix", "heartbeat");

        Assert.True(reply.IsOk);
    }

    [Fact]
    public async Task Closing_the_socket_terminates_every_channel_with_reason_closed()
    {
        var socket = Connect();
        await socket.JoinAsync("echo:a");
        await socket.JoinAsync("echo:b");

        await socket.CloseAsync();

        Assert.Equal(TerminateKind.Closed, (await Terminations.WaitForAsync("echo:a")).Kind);
        Assert.Equal(TerminateKind.Closed, (await Terminations.WaitForAsync("echo:b")).Kind);
    }

    [Fact]
    public async Task A_disconnect_broadcast_to_the_socket_id_closes_that_users_sockets_with_1001()
    {
        var first = Connect("ann", id: "user_socket:1");
        var second = Connect("ann", id: "user_socket:1");
        var other = Connect("bob", id: "user_socket:2");

        await _host.Broadcaster.DisconnectAsync("user_socket:1");

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, first.CloseStatus);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, second.CloseStatus);
        Assert.Null(other.CloseStatus);
    }

    [Fact]
    public async Task An_interrupted_topic_ends_its_joined_channels_with_phx_error_so_that_clients_rejoin()
    {
        var (_, channel) = await Connect("ann").JoinAsync("echo:interrupted");
        var (_, untouched) = await Connect("bob").JoinAsync("echo:other");
        using var probe = await _host.SubscribeAsync("echo:interrupted");

        ((PubSub.InProcessPubSub)_host.Services.GetRequiredService<PubSub.IPubSub>()).Subscriptions.Interrupt("echo:interrupted");
        // What follows the gap must not reach the client before its phx_error, or it would
        // rejoin from past what it missed.
        await _host.Broadcaster.BroadcastAsync("echo:interrupted", "shout", new { after = "the gap" });

        Assert.Equal("interrupted", (await channel.AssertPushAsync("phx_error")).Str("reason"));
        await channel.RefutePushAsync("shout");
        Assert.Equal(TerminateKind.Interrupted, (await Terminations.WaitForAsync("echo:interrupted")).Kind);
        Assert.True((await untouched.PushAsync("echo", new { x = 1 })).IsOk);
        // Other subscribers see the marker and carry on.
        Assert.True((await probe.TakeBroadcastAsync("phx_error")).IsInterruption);
    }

    [Fact]
    public async Task Connect_runs_the_socket_handler()
    {
        var refused = await _host.ConnectAsync<TestSocketHandler>(new ConnectRequest(new Dictionary<string, string> { ["token"] = "bad" }));
        var accepted = await _host.ConnectAsync<TestSocketHandler>(new ConnectRequest(new Dictionary<string, string>(), authToken: "good"));

        Assert.Null(refused);
        Assert.NotNull(accepted);
    }
}
