using System.Text.Json;
using Chat.Channels;
using Chat.Server.Api;
using Chat.Server.Contract;
using Chat.Validation;

namespace Chat.Server.Channels;

/// <summary>The replies the chat channels share, so every channel words its errors the same way.</summary>
internal static class ChannelReplies
{
    public static readonly ReasonResponse RoomNotFound = new(ChannelReasons.RoomNotFound);
    public static readonly ReasonResponse NotFound = new(ChannelReasons.NotFound);
    public static readonly ReasonResponse Forbidden = new(ChannelReasons.Forbidden);
    public static readonly ReasonResponse Unauthorized = new(ChannelReasons.Unauthorized);
    public static readonly ReasonResponse RateLimited = new(ChannelReasons.RateLimited);
    public static readonly ReasonResponse UnknownEvent = new(ChannelReasons.UnknownEvent);
    public static readonly ReasonResponse Unavailable = new(ChannelReasons.Unavailable);

    public static InResult Invalid(FieldErrors errors) => InResult.Error(ErrorsResponse.From(errors));

    /// <summary>A payload that is not the object the event expects: wrong types, or binary.</summary>
    public static InResult Malformed(string field = "payload") => Invalid(FieldErrors.Of(field, "is invalid"));

    /// <summary>A result that is not ok, as the error reply the contract gives it.</summary>
    public static InResult Error<T>(ChatResult<T> result)
    {
        if (result.Errors is { } errors)
        {
            return Invalid(errors);
        }

        return InResult.Error(result.Refusal switch
        {
            ChatRefusal.NotFound => NotFound,
            ChatRefusal.Forbidden => Forbidden,
            _ => Unavailable,
        });
    }

    /// <summary>Reads a payload into <typeparamref name="T"/>; null when it does not fit.</summary>
    public static T? Read<T>(Payload payload)
        where T : class
    {
        if (payload.IsBinary)
        {
            return null;
        }

        try
        {
            return payload.Deserialize((System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)ChatJsonContext.Default.GetTypeInfo(typeof(T))!);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
