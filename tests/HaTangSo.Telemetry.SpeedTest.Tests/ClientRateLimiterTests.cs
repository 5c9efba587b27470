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
    public void TryAcquire_TableFull_IdleClientsEvictedBusyOnesKept()
    {
        var time = new FakeTimeProvider();
        var limiter = new ClientRateLimiter(time, ratePerSecond: 10, burst: 10, maxClients: 2);
        Assert.True(limiter.TryAcquire(s_a));
        Assert.True(limiter.TryAcquire(s_b));

        Assert.False(limiter.TryAcquire(IPAddress.Parse("10.0.0.3")), "no idle bucket to evict yet");
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("10.0.0.3")));
        Assert.True(limiter.Tracked <= 2);
    }
}
