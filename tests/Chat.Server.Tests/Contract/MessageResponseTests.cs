using System.Text.Json;
using Chat.Channels;
using Chat.Messages;
using Chat.Reactions;
using Chat.Server.Contract;
using Chat.Server.Tests.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Chat.Server.Tests.Contract;

/// <summary>The reply to a send wraps the broadcast's encoding of the message: it must read exactly as the response serialized whole.</summary>
public sealed class MessageResponseTests(ChatChannelsHarness harness) : IClassFixture<ChatChannelsHarness>
{
    public static TheoryData<MessageView> Messages() => new()
    {
        MessageView.Created(41, 7, new ChatUser(3, "ann"), "hello \"world\" \\ é 🎉\n<b>", new DateTime(2026, 11, 30, 3, 4, 5, 678, DateTimeKind.Utc)),
        new MessageView(42, 7, 4, "bob", "edited", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            new DateTime(2026, 1, 2, 3, 5, 0, DateTimeKind.Utc), Deleted: false, MessageReactions.None, Rev: 99),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void A_response_around_an_encoded_message_is_the_response_serialized_whole(MessageView message)
    {
        var json = harness.Host.Services.GetRequiredService<IOptions<ChannelsOptions>>().Value.JsonSerializerOptions;

        var around = MessageResponse.Around(Payload.From(message, json));

        var whole = JsonSerializer.SerializeToUtf8Bytes(new MessageResponse(message), json);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(whole), System.Text.Encoding.UTF8.GetString(around.Bytes.Span));
        Assert.Equal(message.Id, around.ToJsonElement().GetProperty("message").GetProperty("id").GetInt64());
    }
}
