using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Chat.Channels.PubSub;
using Chat.Messages;
using Chat.Persistence;
using Chat.Server.Auth;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Chat.Server.Tests;

/// <summary>Every status of CONTRACT.md §1–§2, on each provider.</summary>
public abstract class HttpApiSpecification(ChatServerFactory factory)
{
    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();

    private static string NewName() => "u" + Guid.NewGuid().ToString("N")[..10];

    private async Task<JsonElement> CreateRoomAsync(HttpClient client, string name)
    {
        var response = await client.PostAsJsonAsync("/api/rooms", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await JsonOf(response)).GetProperty("room");
    }

    // --- §1 accounts --------------------------------------------------------------------

    [Fact]
    public async Task Sign_up_answers_201_with_the_user_and_a_working_token()
    {
        using var client = factory.CreateClient();
        var name = NewName();

        var response = await client.PostAsJsonAsync("/api/users", new { username = name, password = "password123" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await JsonOf(response);
        Assert.Equal(name, body.GetProperty("user").GetProperty("username").GetString());
        Assert.True(body.GetProperty("user").GetProperty("id").GetInt64() > 0);
        using var authed = factory.ClientWithToken(body.GetProperty("token").GetString()!);
        Assert.Equal(HttpStatusCode.Created, (await authed.PostAsJsonAsync("/api/rooms", new { name = "Made by " + name })).StatusCode);
    }

    [Theory]
    [InlineData("ab", "password123", "username", "should be at least 3 character(s)")]
    [InlineData("has space", "password123", "username", "has invalid format")]
    [InlineData("validname", "short", "password", "should be at least 8 character(s)")]
    public async Task Sign_up_answers_422_with_field_errors(string username, string password, string field, string error)
    {
        using var client = factory.CreateClient();

        var response = await client.PostAsJsonAsync("/api/users", new { username, password });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await JsonOf(response)).GetProperty("errors").GetProperty(field);
        Assert.Contains(error, errors.EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Sign_up_with_a_taken_name_in_any_case_answers_422()
    {
        using var client = factory.CreateClient();
        var name = NewName();
        await client.PostAsJsonAsync("/api/users", new { username = name, password = "password123" });

        var response = await client.PostAsJsonAsync("/api/users", new { username = name.ToUpperInvariant(), password = "password123" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("has already been taken", (await JsonOf(response)).GetProperty("errors").GetProperty("username")[0].GetString());
    }

    [Fact]
    public async Task Sign_in_answers_200_with_the_same_shape_or_401()
    {
        using var client = factory.CreateClient();
        var name = NewName();
        await client.PostAsJsonAsync("/api/users", new { username = name, password = "password123" });

        var ok = await client.PostAsJsonAsync("/api/session", new { username = name, password = "password123" });
        var wrong = await client.PostAsJsonAsync("/api/session", new { username = name, password = "password124" });
        var unknown = await client.PostAsJsonAsync("/api/session", new { username = "no" + name, password = "password123" });

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var body = await JsonOf(ok);
        Assert.Equal(name, body.GetProperty("user").GetProperty("username").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("token").GetString()));
        foreach (var refused in new[] { wrong, unknown })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("invalid username or password", (await JsonOf(refused)).GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task Malformed_json_answers_400_and_the_server_carries_on()
    {
        using var client = factory.CreateClient();

        var response = await client.PostAsync("/api/users", new StringContent("{\"username\": ", Encoding.UTF8, "application/json"));
        var wrongType = await client.PostAsync("/api/users", new StringContent("{\"username\": 5, \"password\": []}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        foreach (var bad in new[] { response, wrongType })
        {
            // A problem-details body, not an empty one.
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
            Assert.Equal(400, (await JsonOf(bad)).GetProperty("status").GetInt32());
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/rooms")).StatusCode);
    }

    // --- §2 rooms -------------------------------------------------------------------------

    [Fact]
    public async Task Rooms_are_listed_by_name_and_the_lobby_always_exists()
    {
        var (client, _) = await factory.SignedUpClientAsync();
        await CreateRoomAsync(client, "zzz " + NewName());
        await CreateRoomAsync(client, "AAA " + NewName());

        var response = await client.GetAsync("/api/rooms");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var names = (await JsonOf(response)).GetProperty("rooms").EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToList();
        Assert.Equal(names.Order(StringComparer.OrdinalIgnoreCase).ToList(), names);
        Assert.Contains("Lobby", names);
    }

    [Fact]
    public async Task Creating_a_room_answers_201_with_the_room_shape()
    {
        var (client, _) = await factory.SignedUpClientAsync();
        var name = "Café Crème " + NewName();

        var response = await client.PostAsJsonAsync("/api/rooms", new { name, description = "Coffee talk" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var room = (await JsonOf(response)).GetProperty("room");
        Assert.Equal(["id", "name", "slug", "description", "inserted_at", "updated_at"], room.EnumerateObject().Select(p => p.Name));
        Assert.StartsWith("cafe-creme-", room.GetProperty("slug").GetString(), StringComparison.Ordinal);
        Assert.Equal("Coffee talk", room.GetProperty("description").GetString());
        Assert.Matches(ContractTimestamp, room.GetProperty("inserted_at").GetString());
        Assert.Matches(ContractTimestamp, room.GetProperty("updated_at").GetString());
    }

    /// <summary>CONTRACT.md's time format: UTC, always three fractional digits.</summary>
    private const string ContractTimestamp = @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$";

    [Fact]
    public async Task Creating_a_room_answers_422_for_bad_input_and_401_without_a_valid_token()
    {
        var (client, _) = await factory.SignedUpClientAsync();
        using var anonymous = factory.CreateClient();
        using var forged = factory.ClientWithToken(factory.TokenFor(1, "x")[..^3] + "abc");

        var invalid = await client.PostAsJsonAsync("/api/rooms", new { name = "  " });
        var noToken = await anonymous.PostAsJsonAsync("/api/rooms", new { name = "nope" });
        var badToken = await forged.PostAsJsonAsync("/api/rooms", new { name = "nope" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        Assert.Equal("can't be blank", (await JsonOf(invalid)).GetProperty("errors").GetProperty("name")[0].GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, badToken.StatusCode);
    }

    [Fact]
    public async Task A_signed_token_that_names_no_user_cannot_create_a_room()
    {
        // Validly signed with the shared key, but its subject is not a user id.
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = "abc", ["name"] = "mallory" },
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(factory.Services.GetRequiredService<SigningKeyStore>().Key, SecurityAlgorithms.HmacSha256),
        });
        using var client = factory.ClientWithToken(token);

        var response = await client.PostAsJsonAsync("/api/rooms", new { name = "Nobody's " + NewName() });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_room_is_found_by_slug_or_404()
    {
        var (client, _) = await factory.SignedUpClientAsync();
        var room = await CreateRoomAsync(client, "Findable " + NewName());

        var found = await client.GetAsync($"/api/rooms/{room.GetProperty("slug").GetString()}");
        var missing = await client.GetAsync("/api/rooms/no-such-room-" + NewName());

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal(room.GetProperty("id").GetInt64(), (await JsonOf(found)).GetProperty("room").GetProperty("id").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    // --- §2 messages ----------------------------------------------------------------------

    [Fact]
    public async Task Posting_a_message_answers_201_and_a_retried_client_id_returns_the_same_message()
    {
        var (client, userId) = await factory.SignedUpClientAsync();
        var slug = (await CreateRoomAsync(client, "Talk " + NewName())).GetProperty("slug").GetString();

        var first = await client.PostAsJsonAsync($"/api/rooms/{slug}/messages", new { content = "hello", client_id = "c-1" });
        var retry = await client.PostAsJsonAsync($"/api/rooms/{slug}/messages", new { content = "hello", client_id = "c-1" });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var message = (await JsonOf(first)).GetProperty("message");
        Assert.Equal(["id", "room_id", "user_id", "username", "content", "inserted_at", "edited_at", "deleted", "reactions", "rev"], message.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, message.GetProperty("edited_at").ValueKind);
        Assert.False(message.GetProperty("deleted").GetBoolean());
        Assert.Equal("{}", message.GetProperty("reactions").GetRawText());
        Assert.Equal(message.GetProperty("id").GetInt64(), message.GetProperty("rev").GetInt64());
        Assert.Equal(userId, message.GetProperty("user_id").GetInt64());
        Assert.Matches(ContractTimestamp, message.GetProperty("inserted_at").GetString());
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(message.GetProperty("id").GetInt64(), (await JsonOf(retry)).GetProperty("message").GetProperty("id").GetInt64());
        var history = await JsonOf(await client.GetAsync($"/api/rooms/{slug}/messages"));
        Assert.Single(history.GetProperty("messages").EnumerateArray());
    }

    [Fact]
    public async Task Posting_a_message_answers_401_404_and_422()
    {
        var (client, _) = await factory.SignedUpClientAsync();
        using var anonymous = factory.CreateClient();
        var slug = (await CreateRoomAsync(client, "Strict " + NewName())).GetProperty("slug").GetString();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync($"/api/rooms/{slug}/messages", new { content = "hi" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/rooms/missing-room-x/messages", new { content = "hi" })).StatusCode);
        var blank = await client.PostAsJsonAsync($"/api/rooms/{slug}/messages", new { content = " " });
        var tooLong = await client.PostAsJsonAsync($"/api/rooms/{slug}/messages", new { content = new string('x', 4001) });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, blank.StatusCode);
        Assert.Equal("can't be blank", (await JsonOf(blank)).GetProperty("errors").GetProperty("content")[0].GetString());
        Assert.Equal("should be at most 4000 character(s)", (await JsonOf(tooLong)).GetProperty("errors").GetProperty("content")[0].GetString());
    }

    [Fact]
    public async Task Signing_out_everywhere_revokes_every_older_token_and_a_new_sign_in_works()
    {
        using var anonymous = factory.CreateClient();
        var name = NewName();
        var signedUp = await JsonOf(await anonymous.PostAsJsonAsync("/api/users", new { username = name, password = "password123" }));
        var signedIn = await JsonOf(await anonymous.PostAsJsonAsync("/api/session", new { username = name, password = "password123" }));
        using var first = factory.ClientWithToken(signedUp.GetProperty("token").GetString()!);
        using var second = factory.ClientWithToken(signedIn.GetProperty("token").GetString()!);

        Assert.Equal(HttpStatusCode.NoContent, (await second.DeleteAsync("/api/session")).StatusCode);

        foreach (var revoked in new[] { first, second })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await revoked.PostAsJsonAsync("/api/rooms", new { name = "Revoked " + name })).StatusCode);
        }

        var again = await JsonOf(await anonymous.PostAsJsonAsync("/api/session", new { username = name, password = "password123" }));
        using var renewed = factory.ClientWithToken(again.GetProperty("token").GetString()!);
        Assert.Equal(HttpStatusCode.Created, (await renewed.PostAsJsonAsync("/api/rooms", new { name = "Renewed " + name })).StatusCode);
    }

    [Fact]
    public async Task Signing_out_everywhere_revokes_a_host_minted_token_of_a_user_without_a_row()
    {
        var userId = Random.Shared.NextInt64(10_000_000, 20_000_000);
        using var host = factory.ClientWithToken(factory.TokenFor(userId, "hosted"));
        using var bystander = factory.ClientWithToken(factory.TokenFor(userId + 1, "other"));

        Assert.Equal(HttpStatusCode.NoContent, (await host.DeleteAsync("/api/session")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await host.PostAsJsonAsync("/api/rooms/lobby/messages", new { content = "after" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await bystander.PostAsJsonAsync("/api/rooms/lobby/messages", new { content = "unaffected" })).StatusCode);
        using var reissued = factory.ClientWithToken(factory.TokenFor(userId, "hosted"));
        Assert.Equal(HttpStatusCode.Created, (await reissued.PostAsJsonAsync("/api/rooms/lobby/messages", new { content = "again" })).StatusCode);
    }

    [Fact]
    public async Task A_host_minted_token_for_a_user_without_a_row_may_post()
    {
        using var client = factory.ClientWithToken(factory.TokenFor(987_654, "from-the-host-app"));

        var response = await client.PostAsJsonAsync("/api/rooms/lobby/messages", new { content = "integrated" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var message = (await JsonOf(response)).GetProperty("message");
        Assert.Equal(987_654, message.GetProperty("user_id").GetInt64());
        Assert.Equal("from-the-host-app", message.GetProperty("username").GetString());
    }

    [Fact]
    public async Task Text_over_its_byte_cap_or_with_control_characters_answers_422_never_500()
    {
        var (client, _) = await factory.SignedUpClientAsync();
        var slug = (await CreateRoomAsync(client, "Bytes " + NewName())).GetProperty("slug").GetString();
        var bomb = "a" + new string('\u0301', 10_000);
        var sixtyFlags = string.Concat(Enumerable.Repeat("\U0001F1EB\U0001F1F7", 60));

        var content = await client.PostAsJsonAsync($"/api/rooms/{slug}/messages", new { content = bomb });
        var name = await client.PostAsJsonAsync("/api/rooms", new { name = sixtyFlags });
        var description = await client.PostAsJsonAsync("/api/rooms", new { name = "Fine " + NewName(), description = "a\u0000b" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, content.StatusCode);
        Assert.Equal("should be at most 16000 byte(s)", (await JsonOf(content)).GetProperty("errors").GetProperty("content")[0].GetString());
        // 60 flags are 60 characters, 120 code points: refused by varchar(80) as an HTTP 500 before.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, name.StatusCode);
        Assert.Equal("should be at most 320 byte(s)", (await JsonOf(name)).GetProperty("errors").GetProperty("name")[0].GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, description.StatusCode);
        Assert.Equal("has invalid characters", (await JsonOf(description)).GetProperty("errors").GetProperty("description")[0].GetString());
    }

    [Fact]
    public async Task A_host_minted_name_that_no_message_could_carry_is_refused_with_401()
    {
        using var tooLong = factory.ClientWithToken(factory.TokenFor(987_655, new string('n', 300)));
        using var control = factory.ClientWithToken(factory.TokenFor(987_656, "nul\u0000name"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await tooLong.PostAsJsonAsync("/api/rooms/lobby/messages", new { content = "hi" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await control.PostAsJsonAsync("/api/rooms/lobby/messages", new { content = "hi" })).StatusCode);
    }

    [Fact]
    public async Task History_is_oldest_first_with_has_more_and_pages_by_before_and_after()
    {
        var (client, _) = await factory.SignedUpClientAsync();
        var slug = (await CreateRoomAsync(client, "Paged " + NewName())).GetProperty("slug").GetString();
        var ids = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            var posted = await JsonOf(await client.PostAsJsonAsync($"/api/rooms/{slug}/messages", new { content = $"m{i}" }));
            ids.Add(posted.GetProperty("message").GetProperty("id").GetInt64());
        }

        async Task AssertPageAsync(string query, IEnumerable<long> expected, bool hasMore)
        {
            var response = await client.GetAsync($"/api/rooms/{slug}/messages{query}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await JsonOf(response);
            Assert.Equal(expected, body.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("id").GetInt64()));
            Assert.Equal(hasMore, body.GetProperty("has_more").GetBoolean());
        }

        await AssertPageAsync("", ids, hasMore: false);
        await AssertPageAsync("?limit=3", ids[4..], hasMore: true);
        await AssertPageAsync($"?before={ids[4]}&limit=3", ids[1..4], hasMore: true);
        await AssertPageAsync($"?after={ids[2]}&limit=3", ids[3..6], hasMore: true);
        await AssertPageAsync($"?before={ids[0]}", [], hasMore: false);
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=101")]
    public async Task History_limits_outside_1_to_100_answer_422(string query)
    {
        using var client = factory.CreateClient();

        var response = await client.GetAsync($"/api/rooms/lobby/messages{query}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True((await JsonOf(response)).GetProperty("errors").TryGetProperty("limit", out _));
    }

    [Fact]
    public async Task History_of_an_unknown_room_answers_404()
    {
        using var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/rooms/no-such-room-y/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/rooms/no-such-room-y/messages?limit=0")).StatusCode);
    }

    [Fact]
    public async Task A_message_posted_over_http_is_broadcast_to_its_room_topic()
    {
        var (client, _) = await factory.SignedUpClientAsync();
        var slug = (await CreateRoomAsync(client, "Relay " + NewName())).GetProperty("slug").GetString();
        var probe = new BroadcastCapture();
        using var subscription = await factory.Services.GetRequiredService<IPubSub>().SubscribeAsync($"room:{slug}", probe);

        var posted = await JsonOf(await client.PostAsJsonAsync($"/api/rooms/{slug}/messages", new { content = "over http" }));

        var broadcast = await probe.NextAsync();
        Assert.Equal("new_msg", broadcast.Event);
        Assert.Equal(posted.GetProperty("message").GetRawText(), broadcast.Payload.ToString());
    }

    // --- §4 edits, deletes, reactions --------------------------------------------------------

    private async Task<(HttpClient Author, string Slug, long Id)> PostedMessageAsync(string content = "typo")
    {
        var (client, _) = await factory.SignedUpClientAsync();
        var slug = (await CreateRoomAsync(client, "Changes " + NewName())).GetProperty("slug").GetString()!;
        var posted = await JsonOf(await client.PostAsJsonAsync($"/api/rooms/{slug}/messages", new { content }));
        return (client, slug, posted.GetProperty("message").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Patch_edits_the_authors_message_and_broadcasts_msg_updated()
    {
        var (author, slug, id) = await PostedMessageAsync();
        var probe = new BroadcastCapture();
        using var subscription = await factory.Services.GetRequiredService<IPubSub>().SubscribeAsync($"room:{slug}", probe);

        var response = await author.PatchAsJsonAsync($"/api/rooms/{slug}/messages/{id}", new { content = "fixed" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = (await JsonOf(response)).GetProperty("message");
        Assert.Equal("fixed", message.GetProperty("content").GetString());
        Assert.Matches(ContractTimestamp, message.GetProperty("edited_at").GetString());
        var broadcast = await probe.NextAsync();
        Assert.Equal("msg_updated", broadcast.Event);
        Assert.Equal(message.GetRawText(), broadcast.Payload.ToString());
    }

    [Fact]
    public async Task Changes_answer_403_for_another_users_message_404_for_an_unknown_one_and_422_for_bad_input()
    {
        var (author, slug, id) = await PostedMessageAsync();
        var (stranger, _) = await factory.SignedUpClientAsync();
        var (_, otherSlug, _) = await PostedMessageAsync();

        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.PatchAsJsonAsync($"/api/rooms/{slug}/messages/{id}", new { content = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.DeleteAsync($"/api/rooms/{slug}/messages/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await author.PatchAsJsonAsync($"/api/rooms/{slug}/messages/{long.MaxValue - 9}", new { content = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await author.DeleteAsync($"/api/rooms/{otherSlug}/messages/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await author.PutAsync($"/api/rooms/no-such-room-z/messages/{id}/reactions/%F0%9F%91%8D", null)).StatusCode);
        var blank = await author.PatchAsJsonAsync($"/api/rooms/{slug}/messages/{id}", new { content = " " });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, blank.StatusCode);
        Assert.Equal("can't be blank", (await JsonOf(blank)).GetProperty("errors").GetProperty("content")[0].GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await author.PutAsync($"/api/rooms/{slug}/messages/{id}/reactions/ab", null)).StatusCode);
        using var anonymous = factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.DeleteAsync($"/api/rooms/{slug}/messages/{id}")).StatusCode);
    }

    [Fact]
    public async Task Delete_answers_204_twice_and_history_keeps_a_tombstone()
    {
        var (author, slug, id) = await PostedMessageAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await author.DeleteAsync($"/api/rooms/{slug}/messages/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await author.DeleteAsync($"/api/rooms/{slug}/messages/{id}")).StatusCode);

        var tombstone = Assert.Single((await JsonOf(await author.GetAsync($"/api/rooms/{slug}/messages"))).GetProperty("messages").EnumerateArray());
        Assert.True(tombstone.GetProperty("deleted").GetBoolean());
        Assert.Equal("", tombstone.GetProperty("content").GetString());
        Assert.True(tombstone.GetProperty("rev").GetInt64() > id);
    }

    [Fact]
    public async Task Reactions_are_put_and_deleted_by_url_encoded_emoji_and_answer_204()
    {
        var (author, slug, id) = await PostedMessageAsync();
        var (other, otherId) = await factory.SignedUpClientAsync();
        var thumbs = Uri.EscapeDataString("👍");

        Assert.Equal(HttpStatusCode.NoContent, (await other.PutAsync($"/api/rooms/{slug}/messages/{id}/reactions/{thumbs}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await other.PutAsync($"/api/rooms/{slug}/messages/{id}/reactions/{thumbs}", null)).StatusCode);
        var reacted = (await JsonOf(await author.GetAsync($"/api/rooms/{slug}/messages"))).GetProperty("messages")[0];
        Assert.Equal(HttpStatusCode.NoContent, (await other.DeleteAsync($"/api/rooms/{slug}/messages/{id}/reactions/{thumbs}")).StatusCode);
        var cleared = (await JsonOf(await author.GetAsync($"/api/rooms/{slug}/messages"))).GetProperty("messages")[0];

        Assert.Equal([otherId], reacted.GetProperty("reactions").GetProperty("👍").EnumerateArray().Select(u => u.GetInt64()));
        Assert.Equal("{}", cleared.GetProperty("reactions").GetRawText());
    }

    // --- §5 unread counts -------------------------------------------------------------------

    [Fact]
    public async Task Unread_counts_come_from_get_me_unread_and_put_read_moves_the_marker()
    {
        var (reader, _) = await factory.SignedUpClientAsync();
        var before = await JsonOf(await reader.GetAsync("/api/me/unread"));
        var (writer, _) = await factory.SignedUpClientAsync();
        var slug = (await CreateRoomAsync(writer, "Unread " + NewName())).GetProperty("slug").GetString()!;
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var posted = await JsonOf(await writer.PostAsJsonAsync($"/api/rooms/{slug}/messages", new { content = $"m{i}" }));
            ids.Add(posted.GetProperty("message").GetProperty("id").GetInt64());
        }

        var put = await reader.PutAsJsonAsync($"/api/rooms/{slug}/read", new { id = ids[0] });
        var unread = await JsonOf(await reader.GetAsync("/api/me/unread"));

        Assert.Empty(before.GetProperty("rooms").EnumerateArray());
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        var room = Assert.Single(unread.GetProperty("rooms").EnumerateArray());
        Assert.Equal(slug, room.GetProperty("slug").GetString());
        Assert.Equal(ids[0], room.GetProperty("last_read_id").GetInt64());
        Assert.Equal(2, room.GetProperty("unread").GetInt64());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await reader.PutAsJsonAsync($"/api/rooms/{slug}/read", new { id = ids[2] + 1_000_000 })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.PutAsJsonAsync("/api/rooms/no-such-room-q/read", new { id = ids[0] })).StatusCode);
        using var anonymous = factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/me/unread")).StatusCode);
    }

    // --- §6 search -------------------------------------------------------------------------

    [Fact]
    public async Task Search_answers_newest_first_with_room_slugs_and_pages_with_before()
    {
        var (client, _) = await factory.SignedUpClientAsync();
        var slug = (await CreateRoomAsync(client, "Search " + NewName())).GetProperty("slug").GetString()!;
        var marker = "zq" + Guid.NewGuid().ToString("N")[..10];
        var ids = new List<long>();
        foreach (var content in new[] { $"{marker} Crème", $"{marker} creme again", $"{marker} other" })
        {
            ids.Add((await JsonOf(await client.PostAsJsonAsync($"/api/rooms/{slug}/messages", new { content }))).GetProperty("message").GetProperty("id").GetInt64());
        }

        using var anonymous = factory.CreateClient();
        var first = await anonymous.GetAsync($"/api/search?q={marker}%20CREM&limit=1");
        var body = await JsonOf(first);
        var next = await JsonOf(await anonymous.GetAsync($"/api/search?q={marker}%20crem&room={slug}&before={ids[1]}"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var hit = Assert.Single(body.GetProperty("messages").EnumerateArray());
        Assert.Equal(ids[1], hit.GetProperty("id").GetInt64());
        Assert.Equal(
            ["id", "room_id", "user_id", "username", "content", "inserted_at", "edited_at", "deleted", "reactions", "rev", "room_slug"],
            hit.EnumerateObject().Select(p => p.Name));
        Assert.Equal(slug, hit.GetProperty("room_slug").GetString());
        Assert.True(body.GetProperty("has_more").GetBoolean());
        Assert.Equal([ids[0]], next.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("id").GetInt64()));
        Assert.False(next.GetProperty("has_more").GetBoolean());
    }

    [Fact]
    public async Task Search_answers_422_for_an_empty_query_and_404_for_an_unknown_room()
    {
        using var client = factory.CreateClient();

        var empty = await client.GetAsync("/api/search?q=%20");
        var missing = await client.GetAsync("/api/search");
        var noRoom = await client.GetAsync("/api/search?q=hello&room=no-such-room-s");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, empty.StatusCode);
        Assert.Equal("can't be blank", (await JsonOf(empty)).GetProperty("errors").GetProperty("q")[0].GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noRoom.StatusCode);
    }

    // --- operations -------------------------------------------------------------------------

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/openapi/v1.json")]
    public async Task Operational_endpoints_answer_200(string path)
    {
        using var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
    }

    private sealed class BroadcastCapture : IBroadcastSubscriber
    {
        private readonly TaskCompletionSource<Broadcast> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Deliver(Broadcast broadcast) => _next.TrySetResult(broadcast);

        public Task<Broadcast> NextAsync() => _next.Task.WaitAsync(TimeSpan.FromSeconds(5));
    }
}

public sealed class SqliteHttpApiTests(SqliteChatServerFactory factory) : HttpApiSpecification(factory), IClassFixture<SqliteChatServerFactory>;

public sealed class PostgresHttpApiTests(PostgresChatServerFactory factory) : HttpApiSpecification(factory), IClassFixture<PostgresChatServerFactory>;

public sealed class ReadinessTests
{
    [Fact]
    public async Task Readyz_answers_503_once_the_database_is_gone_while_healthz_stays_200()
    {
        var factory = new PostgresChatServerFactory();
        await factory.InitializeAsync();
        try
        {
            using var client = factory.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);

            await factory.DropDatabaseAsync();

            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        }
        finally
        {
            await factory.DisposeAsync();
        }
    }

    [Fact]
    public async Task Readyz_answers_503_while_the_SQLite_checkpointer_is_stuck()
    {
        await using var factory = new SqliteChatServerFactory();
        var failing = 1;
        using var stuck = factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddSingleton(provider => new SqliteCheckpointer(
                provider.GetRequiredService<ChatDatabase>(),
                (_, _) => Volatile.Read(ref failing) == 1 ? throw new IOException("the disk is gone") : Task.CompletedTask,
                TimeProvider.System,
                NullLogger.Instance,
                TimeSpan.FromMilliseconds(300)))));
        using var client = stuck.CreateClient();
        // A sign-up makes no message, so send one: the writer starts the checkpointer.
        var (author, _) = await SignedUpAsync(stuck);
        (await author.PostAsJsonAsync("/api/rooms/lobby/messages", new { content = "hi" })).EnsureSuccessStatusCode();

        await WaitForStatusAsync(client, HttpStatusCode.ServiceUnavailable);
        Volatile.Write(ref failing, 0);
        await WaitForStatusAsync(client, HttpStatusCode.OK);
    }

    private static async Task<(HttpClient Client, long UserId)> SignedUpAsync(WebApplicationFactory<Program> factory)
    {
        using var anonymous = factory.CreateClient();
        var response = await anonymous.PostAsJsonAsync("/api/users", new { username = "u" + Guid.NewGuid().ToString("N")[..10], password = "password123" });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("token").GetString());
        return (client, body.GetProperty("user").GetProperty("id").GetInt64());
    }

    private static async Task WaitForStatusAsync(HttpClient client, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await client.GetAsync("/readyz")).StatusCode != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"/readyz never answered {(int)expected}");
            await Task.Delay(50);
        }
    }
}
