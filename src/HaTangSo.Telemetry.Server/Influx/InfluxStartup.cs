using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Resilience;
using Microsoft.Extensions.Options;
using Polly.Registry;

namespace HaTangSo.Telemetry.Server.Influx;

/// <summary>
/// Creates the database and its default retention policy at start-up (InfluxDB 1.x). Does not block the host while
/// InfluxDB is down: results wait on the broker, and writes retry until it is back (the InfluxDB pipeline). A permanent
/// refusal (a wrong password, no rights) stops the host with the reason.
/// </summary>
internal sealed class InfluxStartup(
    InfluxDbClient client,
    ResiliencePipelineProvider<Dependency> pipelines,
    IOptions<InfluxOptions> options,
    ILogger<InfluxStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        string? version = null;
        try
        {
            await pipelines.ExecuteAsync(Dependency.InfluxDb, "InfluxDB start-up", async ct =>
            {
                version = await client.PingAsync(ct);
                if (settings.CreateDatabase)
                {
                    await client.EnsureDatabaseAsync(settings.RetentionPolicy, settings.RetentionDuration, ct);
                }
            }, stoppingToken);
        }
        catch (Exception ex) when (!TransientErrors.IsTransient(ex, stoppingToken) && ex is not OperationCanceledException)
        {
            logger.PermanentFailure(ex, Dependency.InfluxDb, "InfluxDB start-up");
            throw;
        }

        logger.InfluxReady(version, settings.Url!, settings.Database);
    }
}
