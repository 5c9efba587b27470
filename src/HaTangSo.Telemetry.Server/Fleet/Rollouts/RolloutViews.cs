using HaTangSo.Telemetry.Contracts.Releases;

namespace HaTangSo.Telemetry.Server.Fleet.Rollouts;

/// <summary>A roll-out as the API shows it: its record and, per wave, every probe's command and outcome.</summary>
/// <param name="Rollout">The roll-out.</param>
/// <param name="HaltsAt">The failure threshold in words.</param>
/// <param name="Waves">Its waves in order.</param>
public sealed record RolloutView(RolloutRecord Rollout, string HaltsAt, IReadOnlyList<WaveView> Waves);

/// <summary>One wave of a roll-out.</summary>
/// <param name="Wave">1-based.</param>
/// <param name="State"><c>waiting</c>, <c>running</c>, <c>passed</c>, <c>accepted</c> (resumed past its failures) or <c>halted</c>.</param>
/// <param name="Size">Its probes.</param>
/// <param name="Counts">Probes per outcome (<c>pending</c>, <c>upgraded</c>, <c>failed</c>, …).</param>
/// <param name="Probes">Its probes in order.</param>
public sealed record WaveView(int Wave, string State, int Size, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<RolloutProbeView> Probes);

/// <summary>One probe of a roll-out.</summary>
/// <param name="ProbeId">The probe.</param>
/// <param name="Outcome"><c>waiting</c>, <c>pending</c>, <c>upgraded</c>, <c>already-current</c>, <c>failed</c> or <c>timed-out</c>.</param>
/// <param name="Detail">Why, in words.</param>
/// <param name="CommandId">Its upgrade command (<c>GET /api/probes/{id}/commands/{commandId}</c>), or null.</param>
/// <param name="CommandState">The command's state, or null.</param>
/// <param name="AgentVersion">The version its latest status reports.</param>
/// <param name="Upgrade">The last upgrade its status reports.</param>
public sealed record RolloutProbeView(
    string ProbeId, string Outcome, string? Detail, Guid? CommandId, string? CommandState, string? AgentVersion, UpgradeStatus? Upgrade);

/// <summary>Builds <see cref="RolloutView"/> with the same rules the runner judges by.</summary>
public static class RolloutViews
{
    /// <summary>The wire names of <see cref="ProbeOutcome"/>.</summary>
    public static string Name(ProbeOutcome outcome) => outcome switch
    {
        ProbeOutcome.Waiting => "waiting",
        ProbeOutcome.Pending => "pending",
        ProbeOutcome.Upgraded => "upgraded",
        ProbeOutcome.AlreadyCurrent => "already-current",
        ProbeOutcome.Failed => "failed",
        ProbeOutcome.TimedOut => "timed-out",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    /// <summary>The view of <paramref name="rollout"/> at <paramref name="now"/>.</summary>
    public static RolloutView Build(RolloutRecord rollout, IReadOnlyList<RolloutProbe> probes, DateTimeOffset now)
    {
        var target = ReleaseVersion.Parse(rollout.Version);
        var waves = new List<WaveView>();
        for (var wave = 0; wave < rollout.WaveSizes.Count; wave++)
        {
            var members = probes.Where(p => p.Wave == wave).Select(p =>
            {
                var (outcome, detail) = RolloutDecision.Classify(p, target, now, rollout.ReportWithin);
                return new RolloutProbeView(p.ProbeId, Name(outcome), detail, p.CommandId, p.CommandState, p.AgentVersion, p.Upgrade);
            }).ToArray();
            var state = wave > rollout.CurrentWave ? "waiting"
                : wave <= rollout.AcceptedWave ? "accepted"
                : wave < rollout.CurrentWave || rollout.State == RolloutStates.Completed ? "passed"
                : rollout.State == RolloutStates.Halted ? "halted"
                : "running";
            waves.Add(new WaveView(wave + 1, state, members.Length,
                members.GroupBy(m => m.Outcome).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal), members));
        }

        return new RolloutView(rollout, rollout.Threshold.Describe(), waves);
    }
}
