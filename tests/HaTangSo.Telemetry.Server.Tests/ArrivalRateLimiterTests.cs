using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.Server.Tests;

public sealed class ArrivalRateLimiterTests
{
    private readonly FakeTimeProvider _time = new(TestRegistry.Now);

    [Fact]
    public void TryTake_BeyondTheBurst_RefusedUntilRefilled()
    {
        var limiter = Create(burst: 10, rate: 2);
        Assert.Equal(10, Enumerable.Range(0, 50).Count(_ => limiter.TryTake("p1")));

        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(6, Enumerable.Range(0, 50).Count(_ => limiter.TryTake("p1")));
    }

    [Fact]
    public void TryTake_EachProbeItsOwnBucket_UnregisteredTopicsShareOne()
    {
        var limiter = Create(burst: 5, rate: 1);
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => limiter.TryTake("flooder")));
        Assert.True(limiter.TryTake("honest"));
        Assert.Equal(5, Enumerable.Range(0, 20).Count(i => limiter.TryTake(null)));
    }

    [Fact]
    public void TryTake_RefilledBuckets_Evicted()
    {
        var limiter = Create(burst: 100, rate: 10);
        foreach (var probe in Enumerable.Range(0, 1000).Select(i => $"p{i}"))
        {
            limiter.TryTake(probe);
        }

        Assert.Equal(1000, limiter.Tracked);
        _time.Advance(TimeSpan.FromMinutes(2));
        limiter.TryTake("p-new");
        Assert.Equal(1, limiter.Tracked);
    }

    [Fact]
    public void TryTake_RateZero_Off()
    {
        var limiter = Create(burst: 1, rate: 0);
        Assert.All(Enumerable.Range(0, 100), _ => Assert.True(limiter.TryTake("p1")));
        Assert.Equal(0, limiter.Tracked);
    }

    private ArrivalRateLimiter Create(int burst, double rate) =>
        new(_time, Options.Create(new IngestionOptions { ArrivalBurst = burst, ArrivalRatePerSecond = rate }));
}
