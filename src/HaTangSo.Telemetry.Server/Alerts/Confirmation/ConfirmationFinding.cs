namespace HaTangSo.Telemetry.Server.Alerts.Confirmation;

/// <summary>How a confirmation round ended.</summary>
internal enum ConfirmationState
{
    /// <summary>Waiting for results against the confirmation server.</summary>
    Pending,

    /// <summary>Results arrived: <see cref="ConfirmationFinding"/> says what they showed.</summary>
    Found,

    /// <summary>The deadline passed without a single result: the alert opens on the primary server's evidence alone.</summary>
    NoResult,

    /// <summary>The area was no longer below before the round ended.</summary>
    Cancelled,
}

/// <summary>The database names of <see cref="ConfirmationState"/>.</summary>
internal static class ConfirmationStates
{
    private static readonly string[] s_names = ["pending", "found", "no_result", "cancelled"];

    /// <summary><c>pending</c>, <c>found</c>, <c>no_result</c> or <c>cancelled</c>.</summary>
    public static string ToName(this ConfirmationState state) => s_names[(int)state];

    /// <summary>The state stored as <paramref name="name"/> (an unknown name reads as cancelled: it never blocks an alert).</summary>
    public static ConfirmationState Parse(string name) => Array.IndexOf(s_names, name) is var i and >= 0 ? (ConfirmationState)i : ConfirmationState.Cancelled;
}

/// <summary>What the results against the confirmation server showed, in the target's own terms.</summary>
/// <param name="ServerId">The confirmation server.</param>
/// <param name="Results">How many results (ok or partial, not CPU-bound) arrived since the round was requested.</param>
/// <param name="Value">The target's statistic of those results (null without results).</param>
/// <param name="Threshold">The target's threshold.</param>
/// <param name="Met">Whether <see cref="Value"/> meets the target (null without results).</param>
internal sealed record ConfirmationFinding(string ServerId, int Results, double? Value, double Threshold, bool? Met);

/// <summary>A round as stored.</summary>
/// <param name="Id">Its row id.</param>
/// <param name="Kind">The alert kind.</param>
/// <param name="ScopeKey">The alert scope.</param>
/// <param name="ServerId">The confirmation server.</param>
/// <param name="State">Where it is.</param>
/// <param name="RequestedAt">The evaluation that started it (results from then on count).</param>
/// <param name="Deadline">When it ends without results.</param>
/// <param name="Commands">How many measurements were asked for.</param>
/// <param name="FinishedAt">When it ended.</param>
/// <param name="Metric">The target's metric.</param>
/// <param name="Results">Results found.</param>
/// <param name="Value">Their statistic.</param>
/// <param name="Threshold">The target's threshold.</param>
/// <param name="Met">Whether they met the target.</param>
/// <param name="AlertId">The alert it opened.</param>
public sealed record ConfirmationRecord(
    long Id, string Kind, string ScopeKey, string ServerId, string State, DateTimeOffset RequestedAt, DateTimeOffset Deadline, int Commands,
    DateTimeOffset? FinishedAt, string? Metric, int? Results, double? Value, double? Threshold, bool? Met, long? AlertId);
