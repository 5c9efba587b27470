using FsCheck;
using FsCheck.Fluent;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Server.Fleet.Rollouts;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.Server.Tests.Rollouts;

/// <summary>A roll-out's rules (issue 15.5): one probe's outcome from its command and status, and the verdict on a wave.</summary>
public sealed class RolloutDecisionTests
{
    private static readonly ReleaseVersion s_target = ReleaseVersion.Parse("0.2.0");
    private static readonly TimeSpan s_within = TimeSpan.FromHours(6);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 2, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Classify_OfflineProbe_PendingUntilTheLimitThenTimedOut()
    {
        var probe = Issued(CommandStates.Queued, "0.1.0");

        _time.Advance(s_within - TimeSpan.FromSeconds(1));
        Assert.Equal(ProbeOutcome.Pending, Classify(probe));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ProbeOutcome.TimedOut, Classify(probe with { CommandState = CommandStates.Expired }));
    }

    [Fact]
    public void Classify_ReportsTheRelease_Upgraded()
    {
        Assert.Equal(ProbeOutcome.Upgraded, Classify(Issued(CommandStates.Done, "0.2.0", Upgrade(UpgradeStateKind.Confirmed))));
        Assert.Equal(ProbeOutcome.Upgraded, Classify(Issued(CommandStates.Delivered, "0.3.0")));
    }

    [Fact]
    public void Classify_RolledBackAfterThisCommandInstalledIt_Failed()
    {
        var (outcome, detail) = RolloutDecision.Classify(
            Issued(CommandStates.Done, "0.1.0", Upgrade(UpgradeStateKind.RolledBack, "broker login failed")), s_target, _time.GetUtcNow(), s_within);

        Assert.Equal(ProbeOutcome.Failed, outcome);
        Assert.Contains("rolled-back: broker login failed", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_AnEarlierRollbackBeforeThisCommandInstalled_StillPending()
    {
        Assert.Equal(ProbeOutcome.Pending, Classify(Issued(CommandStates.Delivered, "0.1.0", Upgrade(UpgradeStateKind.RolledBack))));
    }

    [Fact]
    public void Classify_InTrialOfTheRelease_PendingNotUpgraded()
    {
        Assert.Equal(ProbeOutcome.Pending, Classify(Issued(CommandStates.Done, "0.2.0", Upgrade(UpgradeStateKind.Trial))));
    }

    [Theory]
    [InlineData(CommandStates.Refused)]
    [InlineData(CommandStates.Failed)]
    public void Classify_CommandRefusedOrFailed_Failed(string state)
    {
        Assert.Equal(ProbeOutcome.Failed, Classify(Issued(state, "0.1.0")));
    }

    [Fact]
    public void Classify_WaveNotReached_Waiting_AlreadyAtTheRelease_AlreadyCurrent()
    {
        Assert.Equal(ProbeOutcome.Waiting, Classify(new RolloutProbe("a-1", 1, null, null, null, null, null, "0.1.0", null)));
        Assert.Equal(ProbeOutcome.AlreadyCurrent, Classify(new RolloutProbe("a-1", 1, _time.GetUtcNow(), "0.2.0", null, null, null, "0.2.0", null)));
    }

    [Fact]
    public void Judge_AnyOutcomesAndThreshold_HaltsExactlyWhenFailuresPassIt_AdvancesOnlyWhenNothingPending()
    {
        var outcomes = Gen.ArrayOf(Gen.Elements(Enum.GetValues<ProbeOutcome>().Where(o => o != ProbeOutcome.Waiting).ToArray())).Where(a => a.Length > 0);
        var thresholds = Gen.Elements<int?>(null, 0, 1, 3).SelectMany(n => Gen.Elements<double?>(null, 0, 5, 20, 50).Select(p => new FailureThreshold(n, p)));
        Prop.ForAll(Arb.From(outcomes), Arb.From(thresholds), (wave, threshold) =>
        {
            var failed = wave.Count(o => o is ProbeOutcome.Failed or ProbeOutcome.TimedOut);
            var exceeded = (threshold.MaxFailedProbes is { } n && failed > n) || (threshold.MaxFailedPercent is { } p && failed * 100.0 > p * wave.Length);
            var (verdict, reason) = RolloutDecision.Judge(0, wave, threshold);
            return exceeded
                ? verdict == WaveVerdict.Halt && reason!.Contains($"{failed} of {wave.Length}", StringComparison.Ordinal)
                : verdict == (wave.Contains(ProbeOutcome.Pending) ? WaveVerdict.Wait : WaveVerdict.Advance) && reason is null;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(5_000).WithQuietOnSuccess(true));
    }

    [Fact]
    public void Judge_DefaultThreshold_OneFailureInNineteenHalts_OneInTwentyDoesNot()
    {
        ProbeOutcome[] Wave(int size) => [ProbeOutcome.Failed, .. Enumerable.Repeat(ProbeOutcome.Upgraded, size - 1)];

        Assert.Equal(WaveVerdict.Halt, RolloutDecision.Judge(0, Wave(19), FailureThreshold.Default).Verdict);
        Assert.Equal(WaveVerdict.Advance, RolloutDecision.Judge(0, Wave(20), FailureThreshold.Default).Verdict);
    }

    private ProbeOutcome Classify(RolloutProbe probe) => RolloutDecision.Classify(probe, s_target, _time.GetUtcNow(), s_within).Outcome;

    private RolloutProbe Issued(string commandState, string agentVersion, UpgradeStatus? upgrade = null) =>
        new("a-1", 0, _time.GetUtcNow(), null, Guid.CreateVersion7(), commandState, null, agentVersion, upgrade);

    private UpgradeStatus Upgrade(UpgradeStateKind state, string? detail = null) =>
        new() { State = state, From = "0.1.0", To = "0.2.0", At = _time.GetUtcNow(), Detail = detail };
}
