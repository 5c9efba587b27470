using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Probe.Configuration;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Upgrade;

/// <summary>What the service says about upgrades when it starts (and what a status message can carry).</summary>
internal static class UpgradeReport
{
    /// <summary>The last upgrade's state for this configuration, or null when none is recorded.</summary>
    public static UpgradeState? Last(ProbeConfig config) =>
        UpgradeStateFile.Read(config.Upgrade?.StateDirectory ?? new UpgradeConfig().StateDirectory);

    /// <summary>Logs the last upgrade (event 5684) once at start-up, so the journal shows a confirm or a rollback.</summary>
    public static void LogLast(ILogger logger, ProbeConfig config)
    {
        if (Last(config) is not { } state)
        {
            return;
        }

        if (state.State == UpgradeStateKind.Trial)
        {
            // The trial script runs before every start; a trial still pending here means the unit lacks it.
            logger.TrialNotRun(state.To);
        }
        else
        {
            logger.LastUpgrade(state.State, state.From, state.To, state.At, state.Detail);
        }
    }
}
