namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>
/// Where a registered probe stands, modelled on RIPE Atlas' probe states (Never Connected, Connected, Disconnected,
/// Abandoned, each with a "since"): the fleet dashboard counts every registered probe in exactly one of them.
/// </summary>
internal enum ProbeLivenessState
{
    /// <summary>Registered, and nothing received from it yet (Atlas: Never Connected). Since: its registration.</summary>
    NeverSeen,

    /// <summary>Heard of (a result or a status message) within the silence limit, and its last status is not offline (Atlas: Connected).</summary>
    Online,

    /// <summary>
    /// Not heard of for longer than the silence limit (<see cref="AlertOptions.SilentAfterIntervals"/> × its schedule) while
    /// its last word was not "offline": the connection died without a last will, or it stopped measuring. The
    /// <c>probe_silent</c> alert is open for it. Since: the last time it was heard of plus the limit.
    /// </summary>
    Stale,

    /// <summary>Its last status message says offline (the broker delivered its MQTT last will) and nothing came after it (Atlas: Disconnected). Since: that message.</summary>
    Offline,

    /// <summary>Revoked (<c>enabled = false</c>): kept for its history, not expected to report (Atlas: written off / archived).</summary>
    Disabled,
}

/// <summary>What the server knows of one probe when the liveness job runs.</summary>
/// <param name="Enabled">False once revoked.</param>
/// <param name="RegisteredAt">When the probe was registered.</param>
/// <param name="ChangedAt">The registration's last change (a revocation sets it).</param>
/// <param name="StatusOnline">The last status message's state (true online, false offline), or null without one.</param>
/// <param name="StatusAt">When the server received that status message.</param>
/// <param name="LastResultAt">The newest result's measurement time (<c>startedAt</c>), or null.</param>
internal sealed record ProbeEvidence(
    bool Enabled, DateTimeOffset RegisteredAt, DateTimeOffset ChangedAt, bool? StatusOnline, DateTimeOffset? StatusAt, DateTimeOffset? LastResultAt)
{
    /// <summary>The newest sign of life, or null when nothing was ever received.</summary>
    public DateTimeOffset? LastHeard => (StatusAt, LastResultAt) switch
    {
        ({ } s, { } r) => s > r ? s : r,
        ({ } s, null) => s,
        (null, { } r) => r,
        _ => null,
    };
}

/// <summary>A probe's state and since when it has been in it.</summary>
internal readonly record struct ProbeLiveness(ProbeLivenessState State, DateTimeOffset Since)
{
    /// <summary>
    /// The state of a probe at <paramref name="now"/>. <paramref name="previous"/> (the last run's answer) keeps the "since"
    /// of a state that has no timestamp of its own (online, disabled); the others are computed from the evidence alone,
    /// so a restarted or second server instance gives the same answer.
    /// </summary>
    public static ProbeLiveness Classify(ProbeEvidence evidence, ProbeLiveness? previous, TimeSpan silentAfter, DateTimeOffset now)
    {
        if (!evidence.Enabled)
        {
            return previous is { State: ProbeLivenessState.Disabled } kept ? kept : new(ProbeLivenessState.Disabled, Min(evidence.ChangedAt, now));
        }

        // Evidence from the future (a probe clock ahead of the server's) counts as now.
        var heard = evidence.LastHeard is { } h ? Min(h, now) : (DateTimeOffset?)null;
        if (heard is null)
        {
            return new(ProbeLivenessState.NeverSeen, Min(evidence.RegisteredAt, now));
        }

        // The last will arrived after the newest result: the broker saw the connection drop.
        if (evidence.StatusOnline == false && evidence.StatusAt is { } offlineAt && (evidence.LastResultAt is not { } result || result <= offlineAt))
        {
            return new(ProbeLivenessState.Offline, Min(offlineAt, now));
        }

        if (now - heard.Value > silentAfter)
        {
            return new(ProbeLivenessState.Stale, heard.Value + silentAfter);
        }

        if (previous is { State: ProbeLivenessState.Online } online)
        {
            return online;
        }

        // Back (or first seen): since its "online" status message when that is newer than the previous state's start
        // (a probe announces itself when it connects), else since the newest sign of life. Precise to one liveness run.
        var back = evidence.StatusOnline == true && evidence.StatusAt is { } onlineAt && (previous is not { } p || onlineAt >= p.Since) ? Min(onlineAt, now) : heard.Value;
        return new(ProbeLivenessState.Online, back);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}

/// <summary>Names of <see cref="ProbeLivenessState"/> as stored and written for Grafana.</summary>
internal static class ProbeLivenessStates
{
    /// <summary>Every state, in the order dashboards list them.</summary>
    public static readonly ProbeLivenessState[] All =
        [ProbeLivenessState.Online, ProbeLivenessState.Stale, ProbeLivenessState.Offline, ProbeLivenessState.NeverSeen, ProbeLivenessState.Disabled];

    public static string ToName(this ProbeLivenessState state) => state switch
    {
        ProbeLivenessState.NeverSeen => "never_seen",
        ProbeLivenessState.Online => "online",
        ProbeLivenessState.Stale => "stale",
        ProbeLivenessState.Offline => "offline",
        ProbeLivenessState.Disabled => "disabled",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static ProbeLivenessState? Parse(string? name) => name switch
    {
        "never_seen" => ProbeLivenessState.NeverSeen,
        "online" => ProbeLivenessState.Online,
        "stale" => ProbeLivenessState.Stale,
        "offline" => ProbeLivenessState.Offline,
        "disabled" => ProbeLivenessState.Disabled,
        _ => null,
    };
}
