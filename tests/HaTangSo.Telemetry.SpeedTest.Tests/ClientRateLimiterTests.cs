using System.Net;
using HaTangSo.Telemetry.SpeedTest.UdpEcho;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.SpeedTest.Tests;

public sealed class ClientRateLimiterTests
{
    private static readonly IPAddress s_a = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress s_b = IPAddress.Parse("10.0.0.2");

    [Fact]
    public void TryAcquire_BeyondBurst_RefusedUntilRefilled()
    {
        var time = new FakeTimeProvider();
        var limiter = new ClientRateLimiter(time, ratePerSecond: 100, burst: 10, maxClients: 100);

        Assert.Equal(10, Enumerable.Range(0, 50).Count(_ => limiter.TryAcquire(s_a)));
        Assert.True(limiter.TryAcquire(s_b), "another client has its own bucket");

        time.Advance(TimeSpan.FromMilliseconds(50)); // 5 tokens at 100/s
        Assert.Equal(5, Enumerable.Range(0, 50).Count(_ => limiter.TryAcquire(s_a)));
    }

    [Fact]
    public void Acquire_TableFull_LeastRecentlySeenEvictedNewClientAdmitted()
    {
        var time = new FakeTimeProvider();
        var limiter = new ClientRateLimiter(time, ratePerSecond: 10, burst: 10, maxClients: 2);
        Assert.True(limiter.TryAcquire(s_a));
        Assert.True(limiter.TryAcquire(s_b));
        Assert.True(limiter.TryAcquire(s_a)); // a is now the most recent

        // A new client is never refused for lack of room: b, seen least recently, makes way.
        Assert.Equal(EchoDecision.Echo, limiter.Acquire(IPAddress.Parse("10.0.0.3")));
        Assert.Equal(2, limiter.Tracked);
        Assert.Equal(1, limiter.Evicted);

        // a kept its (partly used) bucket; b starts afresh with a full one.
        Assert.Equal(8, Enumerable.Range(0, 20).Count(_ => limiter.TryAcquire(s_a)));
        Assert.Equal(10, Enumerable.Range(0, 20).Count(_ => limiter.TryAcquire(s_b)));
    }

    [Fact]
    public void Acquire_ManyClients_GlobalCapBoundsTheTotal()
    {
        var time = new FakeTimeProvider();
        var limiter = new ClientRateLimiter(time, ratePerSecond: 100, burst: 100, maxClients: 1000, globalPerSecond: 50);

        var decisions = Enumerable.Range(0, 200).Select(i => limiter.Acquire(IPAddress.Parse($"10.0.{i / 250}.{(i % 250) + 1}"))).ToList();

        Assert.Equal(50, decisions.Count(d => d == EchoDecision.Echo));
        Assert.Equal(150, decisions.Count(d => d == EchoDecision.GlobalLimited));
        time.Advance(TimeSpan.FromMilliseconds(100)); // 5 more at 50/s
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => limiter.TryAcquire(s_a)));
    }
}
