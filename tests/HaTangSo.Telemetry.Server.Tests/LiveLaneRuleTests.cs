using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// The live lane's running rules on a fake clock (<see cref="LiveLaneRule"/>, as <see cref="LiveLaneService"/> asks it at
/// each look at the persistent session's queue): open after a full batch has waited <c>OpenAfter</c> without a break; an
/// open lane closes <c>Idle</c> once less than a full batch has waited <c>CloseAfter</c> without a break, unless a copy came
/// back first (<c>CaughtUp</c>) or the connection is gone (<c>Disconnected</c>).
/// </summary>
public sealed class LiveLaneRuleTests
{
    private const int Batch = 100;
    private static readonly TimeSpan s_look = LiveLaneService.CheckInterval;
    private static readonly LiveLaneOptions s_settings = new() { OpenAfter = TimeSpan.FromSeconds(30), CloseAfter = TimeSpan.FromSeconds(10) };

    [Fact]
    public void OpenLane_LessThanABatchForCloseAfter_ClosesIdle_NotALookEarlier()
    {
        var (rule, time) = Rule();
        var calm = Looks(rule, time, waiting: Batch - 1, until: r => r.CloseReason(time.GetUtcNow(), caughtUp: false, connected: true) is not null);

        // The first calm look starts the wait; the look CloseAfter later closes.
        Assert.Equal(s_settings.CloseAfter, calm);
        Assert.Equal(LiveLaneReason.Idle, rule.CloseReason(time.GetUtcNow(), caughtUp: false, connected: true));
    }

    [Fact]
    public void OpenLane_AFullBatchWaitingMeanwhile_TimesTheCalmAfresh()
    {
        var (rule, time) = Rule();
        LooksFor(rule, time, Batch - 1, s_settings.CloseAfter - s_look);
        // One look at a full batch (the backlog still drains) breaks the calm.
        rule.Observe(time.GetUtcNow(), Batch);
        time.Advance(s_look);
        LooksFor(rule, time, Batch - 1, s_settings.CloseAfter - s_look);
        Assert.Null(rule.CloseReason(time.GetUtcNow(), caughtUp: false, connected: true));

        time.Advance(s_look);
        rule.Observe(time.GetUtcNow(), 0);
        Assert.Equal(LiveLaneReason.Idle, rule.CloseReason(time.GetUtcNow(), caughtUp: false, connected: true));
    }

    [Fact]
    public void OpenLane_BacklogStillThere_NeverIdle_CopyOrLostConnectionCloseAtOnce()
    {
        var (rule, time) = Rule();
        LooksFor(rule, time, Batch, TimeSpan.FromHours(2));
        Assert.Null(rule.CloseReason(time.GetUtcNow(), caughtUp: false, connected: true));
        Assert.Equal(LiveLaneReason.CaughtUp, rule.CloseReason(time.GetUtcNow(), caughtUp: true, connected: true));
        Assert.Equal(LiveLaneReason.Disconnected, rule.CloseReason(time.GetUtcNow(), caughtUp: false, connected: false));

        // A copy wins over a calm and a lost connection (it says why: the persistent session caught up).
        LooksFor(rule, time, 0, s_settings.CloseAfter);
        Assert.Equal(LiveLaneReason.CaughtUp, rule.CloseReason(time.GetUtcNow(), caughtUp: true, connected: false));
    }

    [Fact]
    public void ClosedLane_FullBatchForOpenAfter_BacklogDue_ABreakTimesItAfresh()
    {
        var (rule, time) = Rule();
        LooksFor(rule, time, Batch, s_settings.OpenAfter - s_look);
        Assert.False(rule.BacklogDue(time.GetUtcNow()));

        // A burst worked off (less than a batch, once) is not a backlog.
        rule.Observe(time.GetUtcNow(), Batch - 1);
        time.Advance(s_look);
        var waited = Looks(rule, time, waiting: Batch, until: r => r.BacklogDue(time.GetUtcNow()));
        Assert.Equal(s_settings.OpenAfter, waited);
    }

    [Fact]
    public void Restart_AfterAnIdleClose_TheRemainingBacklogIsTimedAfresh()
    {
        var (rule, time) = Rule();
        LooksFor(rule, time, 0, s_settings.CloseAfter);
        Assert.Equal(LiveLaneReason.Idle, rule.CloseReason(time.GetUtcNow(), caughtUp: false, connected: true));
        rule.Restart();
        Assert.False(rule.BacklogDue(time.GetUtcNow()));

        rule.Observe(time.GetUtcNow(), Batch);
        Assert.False(rule.BacklogDue(time.GetUtcNow()));
        Assert.Null(rule.CloseReason(time.GetUtcNow(), caughtUp: false, connected: true));
    }

    private static (LiveLaneRule Rule, FakeTimeProvider Time) Rule() => (new LiveLaneRule(s_settings, Batch), new FakeTimeProvider());

    // One look each CheckInterval at `waiting` messages, for `span` (the last look at its end).
    private static void LooksFor(LiveLaneRule rule, FakeTimeProvider time, int waiting, TimeSpan span)
    {
        var end = time.GetUtcNow() + span;
        while (true)
        {
            rule.Observe(time.GetUtcNow(), waiting);
            if (time.GetUtcNow() >= end)
            {
                return;
            }

            time.Advance(s_look);
        }
    }

    // Looks each CheckInterval at `waiting` messages until `until` holds; returns the time from the first look to that one.
    private static TimeSpan Looks(LiveLaneRule rule, FakeTimeProvider time, int waiting, Func<LiveLaneRule, bool> until)
    {
        var first = time.GetUtcNow();
        for (var look = 0; look < 10_000; look++)
        {
            rule.Observe(time.GetUtcNow(), waiting);
            if (until(rule))
            {
                return time.GetUtcNow() - first;
            }

            time.Advance(s_look);
        }

        throw new InvalidOperationException("The rule never held.");
    }
}
