using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Takes messages off the <see cref="IngestionQueue"/> in batches — full at
/// <see cref="IngestionOptions.MaxBatchSize"/>, or after <see cref="IngestionOptions.FlushInterval"/> — and
/// hands each to the <see cref="IngestionPipeline"/>, which returns only once the batch is durable. It never ends the
/// host: no message can make the pipeline throw, and should a bug do so anyway the failure is logged and the next batch
/// follows (the failed one is not acknowledged; the broker redelivers it after a reconnect).
/// <para>
/// Live results (the <see cref="LiveLane"/>'s queue) go first and on their own: when any wait, the next batch is those,
/// taken without waiting for more, and a batch of the backlog being filled is cut short when one arrives. A live result so
/// waits for at most the batches being written and its own small batch, never for the backlog.
/// </para>
/// <para>
/// Two batches are in flight by default (<see cref="IngestionOptions.BatchesInFlight"/>, <see cref="BatchTurn"/>): the
/// next batch is taken and checked while the one before it is written to InfluxDB; their PUBACKs still leave in order.
/// </para>
/// </summary>
internal sealed class BatchWriterService(
    IngestionQueue queue,
    LiveLane live,
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

        // The batch taken last: done (acknowledged, or failed and logged) when this completes; it never faults.
        var previous = Task.CompletedTask;
        try
        {
            while (true)
            {
                if (!await WaitForMoreAsync(s_idleFlush, stoppingToken))
                {
                    if (queue.Reader.Completion.IsCompleted && live.Queue.Reader.Completion.IsCompleted)
                    {
                        return;
                    }

                    pipeline.FlushLog();
                    continue;
                }

                var started = timeProvider.GetTimestamp();
                while (batch.Count < settings.MaxBatchSize && live.Queue.Reader.TryRead(out var first))
                {
                    batch.Add(first);
                }

                // The backlog's batch, unless live results were taken; cut short when one arrives meanwhile.
                while (batch.Count < settings.MaxBatchSize && (batch.Count == 0 || batch[0].Lane == DeliveryLane.Session) && live.Queue.Count == 0)
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

                if (batch.Count == 0)
                {
                    continue;
                }

                if (batch[0].Lane == DeliveryLane.Session)
                {
                    // After a resumed session, a full first batch is the backlog the broker held: the live lane opens.
                    live.SessionBatchTaken(full: batch.Count >= settings.MaxBatchSize);
                }

                var turn = new BatchTurn(previous);
                var done = WriteAsync(batch, turn, stoppingToken);
                if (settings.BatchesInFlight > 1)
                {
                    // The next batch once this one is checked (it may still be writing) and the one before it is done.
                    await Task.WhenAny(turn.Prepared, done);
                    await previous;
                }
                else
                {
                    await done;
                }

                previous = done;
                batch = new List<ReceivedMessage>(settings.MaxBatchSize);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Unacknowledged messages stay with the broker's session and come back after the restart.
        }
        finally
        {
            // Nothing is left running when the host stops.
            await previous;
        }
    }

    // One batch through the pipeline; never throws (a failed batch is logged and not acknowledged).
    private async Task WriteAsync(List<ReceivedMessage> batch, BatchTurn turn, CancellationToken stoppingToken)
    {
        var durable = false;
        try
        {
            await pipeline.ProcessAsync(batch, turn, stoppingToken);
            durable = true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host stops: the broker keeps what was not acknowledged.
        }
        catch (Exception ex)
        {
            logger.BatchWriterFailed(ex);
        }
        finally
        {
            turn.MarkPrepared();

            // Copies of these live results waiting in the persistent session are acknowledged now, or (the batch
            // failed) processed in their turn.
            live.Settled(batch, durable);
        }
    }

    // Until either queue has a message (true), or the time is up (false).
    private async Task<bool> WaitForMoreAsync(TimeSpan remaining, CancellationToken stoppingToken)
    {
        if (queue.Reader.Count > 0 || live.Queue.Reader.Count > 0)
        {
            return true;
        }

        using var timeout = new CancellationTokenSource(remaining, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        var session = queue.Reader.WaitToReadAsync(linked.Token).AsTask();
        var fromLive = live.Queue.Reader.WaitToReadAsync(linked.Token).AsTask();
        try
        {
            var first = await Task.WhenAny(session, fromLive);
            return await first;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            // The other wait is cancelled, not left registered with its channel.
            await linked.CancelAsync();
            await ((Task)Task.WhenAll(session, fromLive)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
