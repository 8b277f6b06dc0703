using System.Text.Json;
using Chat.Channels;
using Chat.Server.Api;
using Chat.Validation;

namespace Chat.Server.Channels;

/// <summary>The replies the chat channels share, so every channel words its errors the same way.</summary>
internal static class ChannelReplies
{
    public static readonly ReasonResponse RoomNotFound = new("room not found");
    public static readonly ReasonResponse RateLimited = new("rate_limited");
    public static readonly ReasonResponse UnknownEvent = new("unknown event");
    public static readonly ReasonResponse Unavailable = new("unavailable");

    public static InResult Invalid(FieldErrors errors) => InResult.Error(ErrorsResponse.From(errors));

    /// <summary>A payload that is not the object the event expects: wrong types, or binary.</summary>
    public static InResult Malformed(string field = "payload") => Invalid(FieldErrors.Of(field, "is invalid"));

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
