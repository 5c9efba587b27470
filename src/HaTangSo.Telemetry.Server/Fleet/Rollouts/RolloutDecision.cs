using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Contracts.Releases;

namespace HaTangSo.Telemetry.Server.Fleet.Rollouts;

/// <summary>Where one probe of a roll-out stands.</summary>
public enum ProbeOutcome
{
    /// <summary><c>waiting</c>: its wave has not started.</summary>
    Waiting,

    /// <summary><c>pending</c>: ordered; not yet reported the new version (offline, downloading, in its trial).</summary>
    Pending,

    /// <summary><c>upgraded</c>: reports the release (or newer).</summary>
    Upgraded,

    /// <summary><c>already-current</c>: ran the release or newer when its wave reached it; no command sent.</summary>
    AlreadyCurrent,

    /// <summary><c>failed</c>: refused or failed the command, or rolled back after its trial.</summary>
    Failed,

    /// <summary><c>timed-out</c>: did not report the release within the roll-out's time limit (offline counts here).</summary>
    TimedOut,
}

/// <summary>What the roll-out knows of one probe: its plan row, its command and its latest status.</summary>
/// <param name="ProbeId">The probe.</param>
/// <param name="Wave">Its wave (0-based).</param>
/// <param name="IssuedAt">When its wave reached it, or null.</param>
/// <param name="AlreadyAt">The version it already ran then (no command), or null.</param>
/// <param name="CommandId">Its upgrade command, or null.</param>
/// <param name="CommandState">The command's state (expired once past its expiry), or null.</param>
/// <param name="CommandReason">Why it was refused, failed or expired, or what the probe said when done.</param>
/// <param name="AgentVersion">The version its latest status reports.</param>
/// <param name="Upgrade">The last upgrade its status reports.</param>
public sealed record RolloutProbe(
    string ProbeId, int Wave, DateTimeOffset? IssuedAt, string? AlreadyAt, Guid? CommandId, string? CommandState, string? CommandReason,
    string? AgentVersion, UpgradeStatus? Upgrade);

/// <summary>What to do with the current wave.</summary>
public enum WaveVerdict
{
    /// <summary>Probes still pending, failures within the threshold.</summary>
    Wait,

    /// <summary>Every probe upgraded, already current, or failed within the threshold: start the next wave (or finish).</summary>
    Advance,

    /// <summary>More probes failed or timed out than the threshold allows: stop issuing commands.</summary>
    Halt,
}

/// <summary>When a wave halts the roll-out: more than <see cref="MaxFailedProbes"/> probes, or more than <see cref="MaxFailedPercent"/> % of the wave, failed or timed out.</summary>
/// <param name="MaxFailedProbes">Failed or timed-out probes a wave may have; null: no count limit.</param>
/// <param name="MaxFailedPercent">Share of a wave that may fail or time out; null: no share limit.</param>
public sealed record FailureThreshold(int? MaxFailedProbes, double? MaxFailedPercent)
{
    /// <summary>The default: more than 5 % of a wave (so any failure in a wave of fewer than 20 probes halts).</summary>
    public static FailureThreshold Default { get; } = new(null, 5);

    /// <summary>True when <paramref name="failed"/> of <paramref name="size"/> passes the threshold.</summary>
    public bool IsExceeded(int failed, int size) =>
        (MaxFailedProbes is { } count && failed > count) || (MaxFailedPercent is { } percent && failed * 100.0 > percent * size);

    /// <summary>The rule in words, for the halt reason and the API.</summary>
    public string Describe() => (MaxFailedProbes, MaxFailedPercent) switch
    {
        ({ } n, { } p) => $"more than {n} probe(s) or {p:0.##} % of a wave",
        ({ } n, null) => $"more than {n} probe(s) of a wave",
        (null, { } p) => $"more than {p:0.##} % of a wave",
        _ => "never",
    };
}

/// <summary>The pure rules of a roll-out: one probe's outcome, and the verdict on a wave.</summary>
public static class RolloutDecision
{
    /// <summary>Where <paramref name="probe"/> stands at <paramref name="now"/>.</summary>
    public static (ProbeOutcome Outcome, string? Detail) Classify(RolloutProbe probe, ReleaseVersion target, DateTimeOffset now, TimeSpan reportWithin)
    {
        if (probe.AlreadyAt is not null)
        {
            return (ProbeOutcome.AlreadyCurrent, $"already ran {probe.AlreadyAt}");
        }

        if (probe.IssuedAt is not { } issued)
        {
            return (ProbeOutcome.Waiting, null);
        }

        // The trial's outcome counts only once this command installed the release: a rollback reported before it is an
        // earlier attempt's (the probe keeps its last upgrade in its status).
        var upgrade = probe.Upgrade;
        var installed = probe.CommandState == CommandStates.Done;
        var forTarget = upgrade is not null && ReleaseVersion.TryParse(upgrade.To, allowBuildMetadata: true, out var to) && target.Equals(to);
        if (installed && forTarget && upgrade!.State is UpgradeStateKind.RolledBack or UpgradeStateKind.RollbackFailed)
        {
            return (ProbeOutcome.Failed, $"{UpgradeStateKinds.Name(upgrade.State)}: {upgrade.Detail ?? "no detail"}");
        }

        var inTrial = installed && forTarget && upgrade!.State == UpgradeStateKind.Trial;
        if (!inTrial && ((forTarget && upgrade!.State == UpgradeStateKind.Confirmed)
            || (ReleaseVersion.TryParse(probe.AgentVersion, allowBuildMetadata: true, out var running) && running >= target)))
        {
            return (ProbeOutcome.Upgraded, $"runs {probe.AgentVersion}");
        }

        if (probe.CommandState is CommandStates.Refused or CommandStates.Failed)
        {
            return (ProbeOutcome.Failed, $"command {probe.CommandState}: {probe.CommandReason ?? "no reason"}");
        }

        if (now >= issued + reportWithin)
        {
            return (ProbeOutcome.TimedOut, $"no report of {target.Text} within {reportWithin:g} (command {probe.CommandState ?? "gone"})");
        }

        return (ProbeOutcome.Pending, inTrial ? "in its trial" : $"command {probe.CommandState ?? "not yet created"}");
    }

    /// <summary>The verdict on a started wave from its probes' outcomes; the reason when it halts.</summary>
    public static (WaveVerdict Verdict, string? Reason) Judge(int wave, IReadOnlyList<ProbeOutcome> outcomes, FailureThreshold threshold)
    {
        var failed = outcomes.Count(o => o is ProbeOutcome.Failed or ProbeOutcome.TimedOut);
        // Failures only grow while a wave runs, so passing the threshold halts at once, without waiting for the rest.
        if (threshold.IsExceeded(failed, outcomes.Count))
        {
            var rolledBack = outcomes.Count(o => o == ProbeOutcome.Failed);
            return (WaveVerdict.Halt,
                $"wave {wave + 1}: {failed} of {outcomes.Count} probe(s) failed or did not report ({rolledBack} failed, {failed - rolledBack} timed out); the limit is {threshold.Describe()}");
        }

        return outcomes.Any(o => o is ProbeOutcome.Pending or ProbeOutcome.Waiting) ? (WaveVerdict.Wait, null) : (WaveVerdict.Advance, null);
    }
}
