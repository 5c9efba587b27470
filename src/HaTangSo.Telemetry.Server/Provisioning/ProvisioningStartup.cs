using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Resilience;
using Microsoft.Extensions.Options;
using Polly.Registry;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>
/// When enrolment is configured, makes sure the server's own broker client exists with read-only rights, retrying
/// while the broker is unreachable (the broker pipeline; ingestion keeps retrying its own connection meanwhile). A
/// permanent refusal — the administrator's login or a command refused — is logged as an error and not retried: enrolment
/// then fails visibly until the configuration is fixed and the server restarted. Then, once per deployment, issue 15's
/// upgrade of older probes' roles (<see cref="ProbeRoleUpgrade"/>).
/// </summary>
internal sealed class ProvisioningStartup(
    ServerBrokerIdentity identity, ProbeRoleUpgrade roleUpgrade, IOptions<ProvisioningOptions> options, IOptions<MqttOptions> mqtt, ResiliencePipelineProvider<Dependency> pipelines,
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
            await roleUpgrade.RunOnceAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            logger.PermanentFailure(ex, Dependency.Broker, "server identity (Provisioning:AdminUsername, AdminPassword)");
        }
    }
}
