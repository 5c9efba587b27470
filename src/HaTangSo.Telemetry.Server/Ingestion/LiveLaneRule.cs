namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// The live lane's running rules, kept apart from its connection so they can be tested on a fake clock
/// (<see cref="LiveLaneService"/> looks at the persistent session's queue each <see cref="LiveLaneService.CheckInterval"/>
/// and asks this): the lane opens when at least one full batch has waited for <see cref="LiveLaneOptions.OpenAfter"/>
/// (a backlog), and an open lane closes on the first copy of a live result (the persistent session has caught up), when
/// its connection is gone, or when less than a full batch has waited for <see cref="LiveLaneOptions.CloseAfter"/> (the
/// backlog is gone, and no copy came back: no live traffic, or the copies went to another instance).
/// </summary>
internal sealed class LiveLaneRule(LiveLaneOptions settings, int maxBatchSize)
{
    private DateTimeOffset? _backloggedSince;
    private DateTimeOffset? _calmSince;

    /// <summary>One look at the persistent session's queue: <paramref name="waiting"/> messages at <paramref name="now"/>.</summary>
    public void Observe(DateTimeOffset now, int waiting)
    {
        if (waiting >= maxBatchSize)
        {
            (_backloggedSince, _calmSince) = (_backloggedSince ?? now, null);
        }
        else
        {
            (_backloggedSince, _calmSince) = (null, _calmSince ?? now);
        }
    }

    /// <summary>Whether a full batch has been waiting without a break for <see cref="LiveLaneOptions.OpenAfter"/>.</summary>
    public bool BacklogDue(DateTimeOffset now) => now - _backloggedSince >= settings.OpenAfter;

    /// <summary>Why an open lane closes at <paramref name="now"/>, or null while it stays open.</summary>
    /// <param name="now">The time of the look.</param>
    /// <param name="caughtUp">The persistent session delivered a copy of a live result (<see cref="LiveLane.CaughtUp"/>).</param>
    /// <param name="connected">The lane's connection is up.</param>
    public LiveLaneReason? CloseReason(DateTimeOffset now, bool caughtUp, bool connected) =>
        caughtUp ? LiveLaneReason.CaughtUp
        : !connected ? LiveLaneReason.Disconnected
        : now - _calmSince >= settings.CloseAfter ? LiveLaneReason.Idle
        : null;

    /// <summary>The lane opened or closed: a backlog, or a calm, is timed afresh from the next look.</summary>
    public void Restart() => (_backloggedSince, _calmSince) = (null, null);
}
