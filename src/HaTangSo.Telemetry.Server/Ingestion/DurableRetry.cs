using System.Net.Sockets;
using HaTangSo.Telemetry.InfluxDb;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Retries a durable write until it succeeds or the host stops: while InfluxDB or PostgreSQL is down the
/// batch is not acknowledged, so the broker keeps it; giving up would lose nothing but stall everything.
/// </summary>
internal sealed class DurableRetry(
    IngestionMetrics metrics,
    TimeProvider timeProvider,
    IOptions<IngestionOptions> options,
    ILogger<DurableRetry> logger)
{
    public async Task RunAsync(string target, Func<CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(options.Value.RetryInitialDelay, options.Value.RetryMaxDelay, timeProvider);
        while (true)
        {
            try
            {
                await write(cancellationToken);
                return;
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                metrics.Retry(target);
                logger.WriteRetry(target, backoff.Next, ex.Message);
                await backoff.WaitAsync(cancellationToken);
            }
        }
    }

    internal static bool IsTransient(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        InfluxDbException influx => influx.IsRetryable,
        NpgsqlException or HttpRequestException or SocketException or TimeoutException or IOException => true,
        _ => false,
    };
}
