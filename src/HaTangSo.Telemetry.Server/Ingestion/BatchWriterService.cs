using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Takes messages off the <see cref="IngestionQueue"/> in batches — full at
/// <see cref="IngestionOptions.MaxBatchSize"/>, or after <see cref="IngestionOptions.FlushInterval"/> — and
/// hands each to the <see cref="IngestionPipeline"/>, which returns only once the batch is durable. It never ends the
/// host: no message can make the pipeline throw, and should a bug do so anyway the failure is logged and the next batch
/// follows (the failed one is not acknowledged; the broker redelivers it after a reconnect).
/// </summary>
internal sealed class BatchWriterService(
    IngestionQueue queue,
    IngestionPipeline pipeline,
    TimeProvider timeProvider,
    IOptions<IngestionOptions> options,
    ILogger<BatchWriterService> logger) : BackgroundService
{
    // How often an idle writer still writes the quarantine log's per-minute summaries.
    private static readonly TimeSpan s_idleFlush = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var batch = new List<ReceivedMessage>(settings.MaxBatchSize);
        try
        {
            while (true)
            {
                if (!await WaitForMoreAsync(s_idleFlush, stoppingToken))
                {
                    if (queue.Reader.Completion.IsCompleted)
                    {
                        return;
                    }

                    pipeline.FlushLog();
                    continue;
                }

                var started = timeProvider.GetTimestamp();
                while (batch.Count < settings.MaxBatchSize)
                {
                    if (queue.Reader.TryRead(out var message))
                    {
                        batch.Add(message);
                        continue;
                    }

                    var remaining = settings.FlushInterval - timeProvider.GetElapsedTime(started);
                    if (remaining <= TimeSpan.Zero || !await WaitForMoreAsync(remaining, stoppingToken))
                    {
                        break;
                    }
                }

                try
                {
                    await pipeline.ProcessAsync(batch, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.BatchWriterFailed(ex);
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Unacknowledged messages stay with the broker's session and come back after the restart.
        }
    }

    private async Task<bool> WaitForMoreAsync(TimeSpan remaining, CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(remaining, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        try
        {
            return await queue.Reader.WaitToReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
