using HaTangSo.Telemetry.InfluxDb;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Influx;

/// <summary>
/// Creates the database and its default retention policy at start-up (InfluxDB 1.x). Does not block the
/// host while InfluxDB is down: results wait on the broker, and writes retry until it is back.
/// </summary>
internal sealed class InfluxStartup(
    InfluxDbClient client,
    TimeProvider timeProvider,
    IOptions<InfluxOptions> options,
    ILogger<InfluxStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var version = await client.PingAsync(stoppingToken);
                if (settings.CreateDatabase)
                {
                    await client.EnsureDatabaseAsync(settings.RetentionPolicy, settings.RetentionDuration, stoppingToken);
                }

                logger.InfluxReady(version, settings.Url!, settings.Database);
                return;
            }
            catch (Exception ex) when (Ingestion.DurableRetry.IsTransient(ex, stoppingToken))
            {
                logger.InfluxUnavailableAtStartup(delay, ex.Message);
                await Task.Delay(delay, timeProvider, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }
}
