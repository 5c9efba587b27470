using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Resilience;
using Microsoft.Extensions.Options;
using Polly.Registry;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>
/// When enrolment is configured, makes sure the server's own broker client exists with read-only rights, retrying
/// while the broker is unreachable (the broker pipeline; ingestion keeps retrying its own connection meanwhile). A
/// permanent refusal — the administrator's login or a command refused — is logged as an error and not retried: enrolment
/// then fails visibly until the configuration is fixed and the server restarted.
/// </summary>
internal sealed class ProvisioningStartup(
    ServerBrokerIdentity identity, ProbeEnrolment enrolment, IOptions<ProvisioningOptions> options, IOptions<MqttOptions> mqtt, ResiliencePipelineProvider<Dependency> pipelines,
    ILogger<ProvisioningStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled || string.IsNullOrEmpty(mqtt.Value.Username) || string.IsNullOrEmpty(mqtt.Value.Password))
        {
            return;
        }

        try
        {
            await pipelines.ExecuteAsync(Dependency.Broker, "server identity", async ct => await identity.EnsureAsync(ct), stoppingToken);
            logger.ServerIdentityEnsured(mqtt.Value.Username);
            await pipelines.ExecuteAsync(Dependency.Broker, "probe roles", async ct => await enrolment.UpgradeProbeRolesAsync(logger, ct), stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            logger.PermanentFailure(ex, Dependency.Broker, "server identity (Provisioning:AdminUsername, AdminPassword)");
        }
    }
}
