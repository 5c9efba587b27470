using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>
/// When enrolment is configured, makes sure the server's own broker client exists with read-only rights, retrying
/// while the broker is unreachable (ingestion keeps retrying its own connection meanwhile).
/// </summary>
internal sealed class ProvisioningStartup(
    ProbeEnrolment enrolment, IOptions<ProvisioningOptions> options, IOptions<MqttOptions> mqtt, TimeProvider time,
    ILogger<ProvisioningStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled || string.IsNullOrEmpty(mqtt.Value.Username) || string.IsNullOrEmpty(mqtt.Value.Password))
        {
            return;
        }

        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await enrolment.EnsureServerIdentityAsync(stoppingToken);
                logger.ServerIdentityEnsured(mqtt.Value.Username);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.ServerIdentityFailed(ex.Message, backoff.Next);
                await backoff.WaitAsync(stoppingToken);
            }
        }
    }
}
