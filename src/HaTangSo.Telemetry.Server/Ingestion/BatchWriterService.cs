using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Takes messages off the <see cref="IngestionQueue"/> in batches — full at
/// <see cref="IngestionOptions.MaxBatchSize"/>, or after <see cref="IngestionOptions.FlushInterval"/> — and
/// hands each to the <see cref="IngestionPipeline"/>, which returns only once the batch is durable.
/// </summary>
internal sealed class BatchWriterService(
    IngestionQueue queue,
    IngestionPipeline pipeline,
    TimeProvider timeProvider,
    IOptions<IngestionOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var reader = queue.Reader;
        var batch = new List<ReceivedMessage>(settings.MaxBatchSize);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                var started = timeProvider.GetTimestamp();
                while (batch.Count < settings.MaxBatchSize)
                {
                    if (reader.TryRead(out var message))
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

                await pipeline.ProcessAsync(batch, stoppingToken);
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
