using FsCheck;
using FsCheck.Fluent;
using HaTangSo.Telemetry.Server.Fleet.Rollouts;

namespace HaTangSo.Telemetry.Server.Tests.Rollouts;

/// <summary>Which probe goes in which wave of a staged roll-out (issue 15.5).</summary>
public sealed class WavePlannerTests
{
    private static readonly Config s_config = Config.QuickThrowOnFailure.WithMaxTest(2_000).WithQuietOnSuccess(true);

    [Fact]
    public void Plan_AnyFleetAndWaves_EveryProbeInExactlyOneWave_WavesNonEmptyAndReachMonotone()
    {
        var waves = Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(WaveGen(), n)).Select(w => w.Append(new WaveSpec(100)).ToArray());
        var fleets = Gen.Choose(1, 400).Select(n => Enumerable.Range(0, n).Select(i => $"p-{i:D4}").ToArray());
        Prop.ForAll(Arb.From(fleets), Arb.From(waves), (probes, specs) =>
        {
            var plan = WavePlanner.Plan(probes, specs, "1.2.0");
            var all = plan.SelectMany(w => w).ToArray();
            // Each wave reaches at least what its spec asks (a share rounded up), and never more than the next one asks.
            var reached = 0;
            var reachOk = true;
            foreach (var wave in plan)
            {
                reached += wave.Count;
                reachOk &= wave.Count > 0;
            }

            return all.Length == probes.Length && all.Distinct().Count() == probes.Length && all.ToHashSet().SetEquals(probes)
                && reachOk && plan.Count <= specs.Length && reached == probes.Length
                && plan[0].Count == (specs.Length == 1 ? probes.Length : specs[0].Reach(probes.Length));
        }).Check(s_config);
    }

    [Fact]
    public void Plan_SameProbesInAnyOrder_SamePlan()
    {
        Prop.ForAll(Arb.From(Gen.Choose(1, 200)), Arb.From(Gen.Choose(0, int.MaxValue)), (n, seed) =>
        {
            var probes = Enumerable.Range(0, n).Select(i => $"hs-{i}").ToArray();
            var shuffled = probes.OrderBy(_ => Random.Shared.Next()).Concat(probes.Take(seed % (n + 1))).ToArray();
            var a = WavePlanner.Plan(probes, WaveSpec.Default, "0.3.0");
            var b = WavePlanner.Plan(shuffled, WaveSpec.Default, "0.3.0");
            return a.Count == b.Count && a.Zip(b).All(w => w.First.SequenceEqual(w.Second));
        }).Check(s_config);
    }

    [Fact]
    public void Plan_SharesOfAFleet_CanaryFirstThenCumulativeShares()
    {
        var probes = Enumerable.Range(0, 200).Select(i => $"ht-{i:D3}").ToArray();

        var plan = WavePlanner.Plan(probes, WaveSpec.Default, "0.2.0");

        Assert.Equal([10, 40, 150], plan.Select(w => w.Count));
    }

    [Fact]
    public void Plan_SmallFleet_EmptyWavesDroppedAndANonZeroShareIsAtLeastOneProbe()
    {
        var plan = WavePlanner.Plan(["a-1", "a-2", "a-3"], WaveSpec.Default, "0.2.0");

        // 5 % of 3 is one probe; 25 % of 3 is still that one probe, so that wave is empty and dropped.
        Assert.Equal([1, 2], plan.Select(w => w.Count));
    }

    [Fact]
    public void Plan_Counts_FirstWaveIsThatMany()
    {
        var plan = WavePlanner.Plan(Enumerable.Range(0, 50).Select(i => $"c-{i}"), [new(Count: 2), new(Count: 10), new(100)], "0.2.0");

        Assert.Equal([2, 8, 40], plan.Select(w => w.Count));
    }

    [Fact]
    public void Order_NeighbouringIds_Spread_AndAnotherReleasePicksOtherCanaries()
    {
        var probes = Enumerable.Range(0, 100).Select(i => $"xa-{i:D3}").ToArray();

        var first = WavePlanner.Order(probes, "0.2.0").Take(5).ToArray();
        var next = WavePlanner.Order(probes, "0.3.0").Take(5).ToArray();

        Assert.NotEqual(probes.Take(5), first);
        Assert.NotEqual(first, next);
        Assert.Equal(first, WavePlanner.Order(probes.Reverse(), "0.2.0").Take(5));
    }

    private static Gen<WaveSpec> WaveGen() => Gen.OneOf(
        Gen.Choose(1, 10_000).Select(p => new WaveSpec(Percent: p / 100.0)),
        Gen.Choose(1, 500).Select(c => new WaveSpec(Count: c)));
}
