using Chat.Channels;
using Chat.Server.Limits;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Chat.Server.Tests;

/// <summary>The limits' arithmetic on a clock the test moves; the endpoints' 429s are in the HTTP and end-to-end suites.</summary>
public sealed class RateLimitsTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-30T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void A_window_opens_with_its_first_event_and_a_refusal_says_when_it_closes()
    {
        var counters = new FixedWindowCounters(3, TimeSpan.FromMinutes(15), _clock);

        Assert.True(counters.Take("k").Allowed);
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True(counters.Take("k").Allowed);
        Assert.True(counters.Take("k").Allowed);
        var refused = counters.Take("k");

        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromMinutes(10), refused.RetryAfter);
        Assert.Equal(refused, counters.Peek("k"));
        Assert.True(counters.Peek("other").Allowed);

        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.True(counters.Peek("k").Allowed);
        Assert.True(counters.Take("k").Allowed);
    }

    [Fact]
    public void Closed_windows_are_swept_so_idle_keys_cost_nothing()
    {
        var counters = new FixedWindowCounters(1, TimeSpan.FromMinutes(1), _clock);
        for (var i = 0; i < 1000; i++)
        {
            counters.Take("key " + i);
        }

        _clock.Advance(TimeSpan.FromMinutes(2));
        counters.Take("late");

        Assert.Equal(1, counters.Count);
    }

    [Fact]
    public async Task Sign_in_failures_lock_a_username_whatever_its_case_and_an_address_across_usernames()
    {
        using var limits = new RateLimits(Options.Create(new RateLimitOptions { SignInFailuresPerUsername = 2, SignInFailuresPerAddress = 3 }), Options.Create(new HistoryRateLimitOptions()), _clock, NullLogger<RateLimits>.Instance);

        Assert.True((await limits.SignInAttemptAsync("Alice", "10.0.0.1")).Allowed);
        Assert.True((await limits.SignInAttemptAsync("alice ", "10.0.0.2")).Allowed);

        var locked = await limits.SignInAttemptAsync("ALICE", "10.0.0.3");
        Assert.False(locked.Allowed);
        Assert.Equal(TimeSpan.FromMinutes(15), locked.RetryAfter);
        // The refused attempt did not count against its address.
        Assert.True((await limits.SignInAttemptAsync("bob", "10.0.0.3")).Allowed);
        Assert.True((await limits.SignInAttemptAsync("bob", "10.0.0.3")).Allowed);
        await limits.SignInSucceededAsync("bob", "10.0.0.3");
        Assert.True((await limits.SignInAttemptAsync("carol", "10.0.0.3")).Allowed);
        Assert.True((await limits.SignInAttemptAsync("not a username!", "10.0.0.3")).Allowed);
        Assert.False((await limits.SignInAttemptAsync("dave", "10.0.0.3")).Allowed);

        _clock.Advance(TimeSpan.FromMinutes(15));
        Assert.True((await limits.SignInAttemptAsync("alice", "10.0.0.3")).Allowed);
    }

    [Fact]
    public async Task A_successful_sign_in_is_not_a_failure()
    {
        using var limits = new RateLimits(Options.Create(new RateLimitOptions { SignInFailuresPerUsername = 2 }), Options.Create(new HistoryRateLimitOptions()), _clock, NullLogger<RateLimits>.Instance);
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await limits.SignInAttemptAsync("alice", "10.0.0.1")).Allowed);
            await limits.SignInSucceededAsync("alice", "10.0.0.1");
        }
    }

    [Theory]
    [InlineData("203.0.113.9", "203.0.113.9")]
    [InlineData("::ffff:203.0.113.9", "203.0.113.9")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64")]
    public void Addresses_are_counted_by_IPv4_address_or_IPv6_64_network(string address, string key) =>
        Assert.Equal(key, ClientAddress.Key(System.Net.IPAddress.Parse(address)));
}
