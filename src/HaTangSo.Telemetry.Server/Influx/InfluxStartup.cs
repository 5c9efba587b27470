using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Resilience;
using Microsoft.Extensions.Options;
using Polly.Registry;

namespace HaTangSo.Telemetry.Server.Influx;

/// <summary>
/// Creates the database and its default retention policy at start-up (InfluxDB 1.x). Does not block the host while
/// InfluxDB is down: results wait on the broker, and writes retry until it is back (the InfluxDB pipeline). A permanent
/// refusal (a wrong password, no rights) stops the host with the reason. Until it has finished, <c>/health</c> says
/// InfluxDB is not ready (<see cref="InfluxReadiness"/>): a write before then would find no retention policy.
/// </summary>
internal sealed class InfluxStartup(
    InfluxDbClient client,
    InfluxReadiness readiness,
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

        readiness.MarkReady();
        logger.InfluxReady(version, settings.Url!, settings.Database);
    }
}

/// <summary>Whether <see cref="InfluxStartup"/> has set up the database and its retention policy.</summary>
internal sealed class InfluxReadiness
{
    private volatile bool _ready;

    public bool IsReady => _ready;

    public void MarkReady() => _ready = true;
}
