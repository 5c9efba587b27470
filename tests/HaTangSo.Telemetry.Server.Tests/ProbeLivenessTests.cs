using HaTangSo.Telemetry.Server.Alerts;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>The liveness states (RIPE Atlas' model) and their "since", from the evidence the job reads.</summary>
public sealed class ProbeLivenessTests
{
    private static readonly DateTimeOffset s_now = new(2026, 3, 20, 5, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_registered = s_now.AddDays(-10);
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(30); // 2 × a 15-minute schedule

    private static ProbeEvidence Evidence(bool? online = null, DateTimeOffset? statusAt = null, DateTimeOffset? result = null, bool enabled = true) =>
        new(enabled, s_registered, s_registered.AddDays(1), online, statusAt, result);

    [Fact]
    public void Classify_NothingReceived_NeverSeenSinceRegistration()
    {
        var liveness = ProbeLiveness.Classify(Evidence(), null, s_limit, s_now);
        Assert.Equal(new ProbeLiveness(ProbeLivenessState.NeverSeen, s_registered), liveness);
    }

    [Fact]
    public void Classify_RecentResult_OnlineSinceTheEvidenceThenKeepsItsSince()
    {
        var first = ProbeLiveness.Classify(Evidence(result: s_now.AddMinutes(-10)), null, s_limit, s_now);
        Assert.Equal(new ProbeLiveness(ProbeLivenessState.Online, s_now.AddMinutes(-10)), first);

        // Five minutes later, a newer result: still online since the first answer.
        var next = ProbeLiveness.Classify(Evidence(result: s_now.AddMinutes(3)), first, s_limit, s_now.AddMinutes(5));
        Assert.Equal(first, next);
    }

    [Fact]
    public void Classify_OnlineStatusAfterAnOutage_OnlineSinceTheStatus()
    {
        var stale = new ProbeLiveness(ProbeLivenessState.Stale, s_now.AddHours(-3));
        var liveness = ProbeLiveness.Classify(Evidence(true, s_now.AddMinutes(-4), s_now.AddMinutes(-1)), stale, s_limit, s_now);
        Assert.Equal(new ProbeLiveness(ProbeLivenessState.Online, s_now.AddMinutes(-4)), liveness);
    }

    [Fact]
    public void Classify_SilentLongerThanTheLimit_StaleSinceLastHeardPlusTheLimit()
    {
        var heard = s_now.AddHours(-5);
        var liveness = ProbeLiveness.Classify(Evidence(true, heard.AddMinutes(-20), heard), new(ProbeLivenessState.Online, s_now.AddDays(-2)), s_limit, s_now);
        Assert.Equal(new ProbeLiveness(ProbeLivenessState.Stale, heard + s_limit), liveness);
    }

    [Fact]
    public void Classify_LastWillAfterTheNewestResult_OfflineSinceTheLastWill()
    {
        var will = s_now.AddHours(-2);
        var liveness = ProbeLiveness.Classify(Evidence(false, will, will.AddMinutes(-15)), null, s_limit, s_now);
        Assert.Equal(new ProbeLiveness(ProbeLivenessState.Offline, will), liveness);
    }

    [Fact]
    public void Classify_ResultsAfterTheLastWill_OnlineNotOffline()
    {
        // Queued results delivered after a reconnect that sent no new status yet.
        var liveness = ProbeLiveness.Classify(Evidence(false, s_now.AddMinutes(-50), s_now.AddMinutes(-5)), null, s_limit, s_now);
        Assert.Equal(ProbeLivenessState.Online, liveness.State);
    }

    [Fact]
    public void Classify_Revoked_DisabledSinceTheChangeAndKeepsIt()
    {
        var disabled = ProbeLiveness.Classify(Evidence(true, s_now.AddMinutes(-1), enabled: false), null, s_limit, s_now);
        Assert.Equal(new ProbeLiveness(ProbeLivenessState.Disabled, s_registered.AddDays(1)), disabled);
        var earlier = new ProbeLiveness(ProbeLivenessState.Disabled, s_now.AddDays(-5));
        Assert.Equal(earlier, ProbeLiveness.Classify(Evidence(enabled: false), earlier, s_limit, s_now));
    }

    [Fact]
    public void Classify_EvidenceFromTheFuture_CountsAsNow()
    {
        var liveness = ProbeLiveness.Classify(Evidence(result: s_now.AddHours(3)), null, s_limit, s_now);
        Assert.Equal(new ProbeLiveness(ProbeLivenessState.Online, s_now), liveness);
    }

    [Fact]
    public void StateNames_RoundTrip()
    {
        Assert.Equal(["online", "stale", "offline", "never_seen", "disabled"], ProbeLivenessStates.All.Select(s => s.ToName()));
        Assert.All(ProbeLivenessStates.All, s => Assert.Equal(s, ProbeLivenessStates.Parse(s.ToName())));
        Assert.Null(ProbeLivenessStates.Parse("Online"));
    }
}
