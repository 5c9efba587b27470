using HaTangSo.Telemetry.Server.Fleet;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Server.Resilience;
using Polly.Registry;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>What one pass of <see cref="ProbeEnrolment.UpgradeProbeRolesAsync"/> did.</summary>
/// <param name="Probes">The enabled probes it went through.</param>
/// <param name="Refused">Those whose commands the broker refused (each logged with event 3760).</param>
internal readonly record struct ProbeRoleUpgradeOutcome(int Probes, int Refused);

/// <summary>
/// Issue 15's upgrade of the broker roles of probes enrolled before it (<see cref="ProbeEnrolment.UpgradeProbeRolesAsync"/>),
/// run once per deployment rather than at every start: it costs the broker a command per probe, and every enrolment since
/// issue 15 gives a probe those rights itself. A pass in which every probe succeeded is recorded in PostgreSQL
/// (<see cref="BrokerUpgradeStore"/>) and later starts skip it; a pass in which the broker refused any probe is not, so
/// the next start tries again. A probe enrolled after the record by an instance of a release before issue 15 (a rolling
/// upgrade) would not get the rights: deleting the row makes the next start run the pass again.
/// </summary>
internal sealed class ProbeRoleUpgrade(
    ProbeEnrolment enrolment, BrokerUpgradeStore upgrades, ResiliencePipelineProvider<Dependency> pipelines, TimeProvider time,
    ILogger<ProbeRoleUpgrade> logger)
{
    /// <summary>The name the upgrade is recorded under in <c>broker_upgrades</c>.</summary>
    public const string Name = "probe-fleet-rights";

    /// <summary>
    /// Runs the upgrade unless it is recorded as done, and records it when every probe succeeded. Retries while the broker
    /// or PostgreSQL is unreachable (their pipelines); a permanent error is thrown.
    /// </summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        BrokerUpgradeRecord? done = null;
        await pipelines.ExecuteAsync(Dependency.PostgreSql, "broker upgrades", async ct => done = await upgrades.FindAsync(Name, ct), cancellationToken);
        if (done is not null)
        {
            logger.BrokerUpgradeSkipped(Name, done.DoneAt, done.Probes);
            return;
        }

        var outcome = default(ProbeRoleUpgradeOutcome);
        await pipelines.ExecuteAsync(Dependency.Broker, "probe roles", async ct => outcome = await enrolment.UpgradeProbeRolesAsync(logger, ct), cancellationToken);
        if (outcome.Refused > 0)
        {
            logger.BrokerUpgradeIncomplete(Name, outcome.Refused, outcome.Probes);
            return;
        }

        var doneAt = time.GetUtcNow();
        await pipelines.ExecuteAsync(Dependency.PostgreSql, "broker upgrades", async ct => await upgrades.RecordAsync(Name, doneAt, outcome.Probes, ct), cancellationToken);
        logger.BrokerUpgradeDone(Name, outcome.Probes);
    }
}
