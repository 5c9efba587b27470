namespace HaTangSo.Telemetry.Server.Resilience;

/// <summary>
/// When the alert outbox tries a notification again after a failed run. This is a durable schedule (the next attempt is
/// a row's <c>next_attempt_at</c>, so it survives restarts and is shared by every instance), not an in-process retry,
/// which is why it is not a Polly strategy; within one run the channel's pipeline retries. One minute, doubling, at
/// most <c>Alerts:MaxRetryDelay</c>, with up to 20 % jitter (earlier, never later than the schedule) so that notifications
/// failed together do not come back together.
/// </summary>
public static class DeliveryBackoff
{
    private static readonly TimeSpan s_first = TimeSpan.FromMinutes(1);

    /// <summary>The wait after the <paramref name="attempts"/>-th failed attempt (0-based count of earlier attempts).</summary>
    public static TimeSpan Next(int attempts, TimeSpan max, Random? random = null)
    {
        var ticks = Math.Min(s_first.Ticks << Math.Clamp(attempts, 0, 20), max.Ticks);
        var jitter = 0.8 + ((random ?? Random.Shared).NextDouble() * 0.2);
        return TimeSpan.FromTicks(Math.Min((long)(ticks * jitter), max.Ticks));
    }
}
