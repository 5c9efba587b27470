namespace HaTangSo.Telemetry.Server.Fleet.Rollouts;

/// <summary>Staged roll-outs (issue 15.5): event ids 5658–5669.</summary>
internal static partial class RolloutLog
{
    [LoggerMessage(5658, LogLevel.Information, "Roll-out {RolloutId} of {Version} ordered: {Probes} probe(s) in {Waves} wave(s) ({Scope}); halts at {Threshold}")]
    public static partial void RolloutCreated(this ILogger logger, Guid rolloutId, string version, int probes, int waves, string scope, string threshold);

    [LoggerMessage(5659, LogLevel.Information, "Roll-out {RolloutId}: wave {Wave} started, {Commands} upgrade command(s), {Current} probe(s) already at the release")]
    public static partial void WaveStarted(this ILogger logger, Guid rolloutId, int wave, int commands, int current);

    [LoggerMessage(5660, LogLevel.Warning, "Roll-out {RolloutId} halted: {Reason}")]
    public static partial void RolloutHalted(this ILogger logger, Guid rolloutId, string reason);

    [LoggerMessage(5661, LogLevel.Information, "Roll-out {RolloutId} of {Version} completed")]
    public static partial void RolloutCompleted(this ILogger logger, Guid rolloutId, string version);

    [LoggerMessage(5662, LogLevel.Information, "Roll-out {RolloutId} is now {State} (by an operator)")]
    public static partial void RolloutMoved(this ILogger logger, Guid rolloutId, string state);

    [LoggerMessage(5663, LogLevel.Error, "Advancing roll-out {RolloutId} failed; retrying on the next round")]
    public static partial void RolloutFailed(this ILogger logger, Guid rolloutId, Exception exception);

    [LoggerMessage(5664, LogLevel.Warning, "The roll-out round failed (PostgreSQL away?); retrying on the next round")]
    public static partial void RoundFailed(this ILogger logger, Exception exception);

    [LoggerMessage(5665, LogLevel.Information, "Roll-out {RolloutId} cancelled: {Withdrawn} queued command(s) withdrawn before reaching the broker")]
    public static partial void RolloutCancelled(this ILogger logger, Guid rolloutId, int withdrawn);
}
