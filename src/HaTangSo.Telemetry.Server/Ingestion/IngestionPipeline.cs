using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using HaTangSo.Telemetry.Server.Influx;
using HaTangSo.Telemetry.Server.Quarantine;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Makes one batch durable, then acknowledges it: valid results become InfluxDB points, everything refused goes to the
/// quarantine with its reason, probe status goes to PostgreSQL. Only after all of that succeeded are the PUBACKs sent —
/// on the connection that delivered each message, never a newer one. Dependency outages are retried (the batch waits,
/// unacknowledged). No message can stop it: the per-message steps cannot throw (<see cref="MessageChecks"/>), and a
/// batch step that fails on bad data rather than an outage splits the batch in halves until the message that causes it
/// stands alone; that one is quarantined with the exception, the rest is written. Two batches may be in it at once
/// (<see cref="BatchTurn"/>): one being checked, the one before it being written; their PUBACKs leave in order.
/// </summary>
internal sealed class IngestionPipeline(
    MessageChecks checks,
    ArrivalRateLimiter arrival,
    ProbeDirectory directory,
    ResultIdStore resultIds,
    InfluxPointWriter influx,
    QuarantineStore quarantine,
    QuarantineLog quarantineLog,
    ProbeStatusHandler statuses,
    DurableRetry retry,
    MqttConnectionState connection,
    IngestionQueue queue,
    LiveLane live,
    Fleet.CommandStore commands,
    IngestionMetrics metrics,
    TimeProvider timeProvider,
    IOptions<IngestionOptions> options,
    ILogger<IngestionPipeline> logger)
{
    /// <summary>
    /// Makes <paramref name="batch"/> durable and acknowledges it once the batch before it (<see cref="BatchTurn.Previous"/>)
    /// is done. Marks the turn prepared as soon as the batch is checked and its result ids are recorded, so the batch
    /// writer can check the next batch while this one is written to InfluxDB (a batch that throws is marked by the writer).
    /// </summary>
    public async Task ProcessAsync(IReadOnlyList<ReceivedMessage> batch, BatchTurn turn, CancellationToken cancellationToken)
    {
        using var activity = ServerActivity.Source.StartActivity("ingest batch");
        activity?.SetTag("hts.batch.size", batch.Count);
        var started = timeProvider.GetTimestamp();
        BatchOutcome outcome;
        long counted;
        try
        {
            // Copies of live results already written (LiveLedger) are only acknowledged, below.
            var copies = batch.Count(m => m.IsCopy);
            if (copies > 0)
            {
                metrics.LiveCopies(copies);
            }

            var items = await ArriveAsync(copies == 0 ? batch : [.. batch.Where(m => !m.IsCopy)], cancellationToken);
            counted = await QuarantineCountedAsync(items, cancellationToken);
            outcome = await RunIsolatedAsync([.. items.Where(i => !i.Counted)], turn, cancellationToken);
        }
        catch
        {
            // Cancellation (the host stops) or a bug outside the boundaries: nothing is acknowledged on this connection,
            // the broker redelivers after the reconnect.
            Settle(batch);
            throw;
        }

        foreach (var item in outcome.Refused)
        {
            metrics.Quarantined(item.Refusal!.Value.Kind);
            quarantineLog.Record(item.Probe?.ProbeId, item.Refusal.Value);
        }

        turn.MarkPrepared();
        quarantineLog.Flush();
        var elapsed = timeProvider.GetElapsedTime(started);
        metrics.Written(outcome.Written);
        // Copies are not counted again: the batch sizes add up to the messages received.
        metrics.Batch(batch.Count - batch.Count(m => m.IsCopy), elapsed);
        logger.BatchWritten(batch.Count, outcome.Written, outcome.Refused.Count + (int)counted, elapsed);

        // PUBACKs in the order the batches were taken: the batch before may still be writing.
        await turn.Previous;
        await AcknowledgeAsync(batch);
    }

    /// <summary>Writes the quarantine log's summaries of minutes that are over (the batch writer calls this when idle).</summary>
    public void FlushLog() => quarantineLog.Flush();

    // On arrival: the topic, the registry (reloaded once if a probe is unknown) and the arrival bucket, once per
    // message; a split batch does not take a message's token twice.
    private async Task<List<IngestionItem>> ArriveAsync(IReadOnlyList<ReceivedMessage> batch, CancellationToken cancellationToken)
    {
        var items = new List<IngestionItem>(batch.Count);
        var unknown = false;
        foreach (var message in batch)
        {
            var item = checks.Arrive(message);
            unknown |= item.ProbeId is not null && item.Probe is null;
            items.Add(item);
        }

        if (unknown && await ReloadAfterMissAsync(cancellationToken))
        {
            foreach (var item in items.Where(i => i.ProbeId is not null && i.Probe is null))
            {
                checks.Locate(item);
            }
        }

        // A topic that names no registered probe (or no probe at all) takes from the one shared bucket.
        foreach (var item in items)
        {
            item.Counted = !arrival.TryTake(item.Probe?.ProbeId);
        }

        return items;
    }

    private async Task<bool> ReloadAfterMissAsync(CancellationToken cancellationToken)
    {
        var reloaded = false;
        try
        {
            await retry.RunAsync("PostgreSQL registry", DataRefusedException.Guard(async ct => reloaded = await directory.ReloadAfterMissAsync(ct)), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Not an outage (those are retried): a registry the server cannot read. Carry on with the one it has.
            logger.RegistryReloadFailed(ex, TimeSpan.Zero);
        }

        return reloaded;
    }

    // Messages beyond a probe's arrival bucket: one counted row per probe and hour, with the first as a sample.
    // Unregistered topics share one row (no probe id), so they cannot open rows either.
    private async Task<long> QuarantineCountedAsync(List<IngestionItem> items, CancellationToken cancellationToken)
    {
        // The cheapest path of all (a flood beyond its bucket): a count per probe, one entry per probe and batch.
        var counts = new Dictionary<string, (IngestionItem First, long Count, DateTimeOffset Last)>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (item.Counted)
            {
                ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(counts, item.Probe?.ProbeId ?? QuarantineLog.Unregistered, out var exists);
                count = exists ? (count.First, count.Count + 1, item.Message.ReceivedAt) : (item, 1, item.Message.ReceivedAt);
            }
        }

        if (counts.Count == 0)
        {
            return 0;
        }

        var entries = counts.Values.Select(c => Summary(c.First) with { Occurrences = c.Count, LastReceivedAt = c.Last }).ToArray();
        try
        {
            await retry.RunAsync("PostgreSQL quarantine", DataRefusedException.Guard(ct => quarantine.AddAsync(entries, ct)), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.MessageDropped(ex, entries[0].Topic);
        }

        foreach (var entry in entries)
        {
            metrics.Quarantined(RefusalKind.ArrivalRate, entry.Occurrences);
            quarantineLog.Record(entry.ProbeId, entry.Refusal, entry.Occurrences);
        }

        return entries.Sum(e => e.Occurrences);
    }

    private QuarantineEntry Summary(IngestionItem item)
    {
        var settings = options.Value;
        var hour = item.Message.ReceivedAt.UtcTicks - (item.Message.ReceivedAt.UtcTicks % TimeSpan.TicksPerHour);
        var probe = item.Probe?.ProbeId;
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"arrival rate: {(probe is null ? "unregistered topics" : "probe " + probe)} sent more than {settings.ArrivalBurst} messages at once or {settings.ArrivalRatePerSecond}/s; counted here (one row per hour, the first as a sample), not kept");
        return new QuarantineEntry(item.Message.ReceivedAt, item.Message.Topic, probe, null, new Refusal(RefusalKind.ArrivalRate, detail), item.Message.Payload)
        {
            DedupeKey = SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"arrival_rate/{hour}"))),
        };
    }

    // The batch, or a part of it; a failure that is not an outage (those are retried inside) splits it.
    private async Task<BatchOutcome> RunIsolatedAsync(List<IngestionItem> items, BatchTurn turn, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            return BatchOutcome.Empty;
        }

        try
        {
            return await RunAsync(items, turn, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (items.Count == 1)
            {
                return await QuarantineFailureAsync(items[0], ex, cancellationToken);
            }

            logger.BatchBisecting(ex, items.Count);
            var half = items.Count / 2;
            var first = await RunIsolatedAsync(items[..half], turn, cancellationToken);
            var second = await RunIsolatedAsync(items[half..], turn, cancellationToken);
            return first + second;
        }
    }

    private async Task<BatchOutcome> RunAsync(List<IngestionItem> items, BatchTurn turn, CancellationToken cancellationToken)
    {
        foreach (var item in items)
        {
            checks.Check(item);
        }

        await CheckCommandsAsync(items, cancellationToken);

        // A result id twice in one batch: the same payload is one point, other values are a replay.
        var keys = new Dictionary<Guid, long>();
        var toRecord = new List<ResultKey>();
        foreach (var item in items.Where(i => i.Line is not null && i.Status is null))
        {
            if (keys.TryAdd(item.Key.ResultId, item.Key.Fingerprint))
            {
                toRecord.Add(item.Key);
            }
            else if (keys[item.Key.ResultId] != item.Key.Fingerprint)
            {
                Duplicate(item);
            }
        }

        // What is refused already goes to PostgreSQL while the rest is checked for replays and written to InfluxDB: a
        // flood of refused messages then costs the batch no more than the slower of the two paths.
        var early = items.Where(i => i.Refusal is not null).ToList();
        var statusesDone = retry.RunAsync(
            "PostgreSQL probe status", DataRefusedException.Guard(ct => statuses.UpsertAsync([.. items.Where(i => i.Status is not null).Select(i => i.Status!)], ct)), cancellationToken);
        var quarantined = retry.RunAsync("PostgreSQL quarantine", DataRefusedException.Guard(ct => quarantine.AddAsync([.. early.Select(Entry)], ct)), cancellationToken);
        var background = Task.WhenAll(statusesDone, quarantined);
        var late = new List<IngestionItem>();
        List<PendingLine> lines;
        IReadOnlyList<(PendingLine Line, string Reason)> rejected;
        try
        {
            var duplicates = await RecordAsync(toRecord, cancellationToken);
            foreach (var item in items.Where(i => i.Line is not null && i.Status is null && duplicates.Contains(i.Key.ResultId)))
            {
                Duplicate(item);
                late.Add(item);
            }

            lines = [.. items.Where(i => i.Line is not null).Select(i => new PendingLine(i.Message, i.ResultId, i.Line!))];

            // Checked and recorded: the next batch may be checked while this one is written.
            turn.MarkPrepared();
            rejected = await influx.WriteAsync(lines, cancellationToken);
        }
        catch
        {
            // Nothing of this run may still be writing when the batch is split and run again.
            await background.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        await background;
        foreach (var (line, reason) in rejected)
        {
            var item = items.First(i => ReferenceEquals(i.Message, line.Message));
            item.Refusal = new Refusal(RefusalKind.InfluxRefused, "InfluxDB refused the point: " + reason);
            item.Line = null;
            late.Add(item);
        }

        if (late.Count > 0)
        {
            await retry.RunAsync("PostgreSQL quarantine", DataRefusedException.Guard(ct => quarantine.AddAsync([.. late.Select(Entry)], ct)), cancellationToken);
        }

        // Results of commands (measure now): the command counts them, and is done when every link asked for has one.
        foreach (var item in items.Where(i => i.Line is not null && i.Status is null && i.CommandId is not null))
        {
            await retry.RunAsync("PostgreSQL commands", DataRefusedException.Guard(
                ct => commands.ResultStoredAsync(item.Probe!.ProbeId, item.CommandId!.Value, item.ResultId!, ct)), cancellationToken);
        }

        return new BatchOutcome(lines.Count - rejected.Count, [.. early, .. late]);
    }

    // A result may answer only a command issued to its own probe: a probe cannot claim (or complete) another's.
    private async Task CheckCommandsAsync(List<IngestionItem> items, CancellationToken cancellationToken)
    {
        var claims = items.Where(i => i.Line is not null && i.Status is null && i.CommandId is not null).ToList();
        if (claims.Count == 0)
        {
            return;
        }

        HashSet<(Guid, string)> owned = [];
        await retry.RunAsync("PostgreSQL commands", DataRefusedException.Guard(async ct =>
            owned = await commands.OwnedAsync([.. claims.Select(i => (i.CommandId!.Value, i.Probe!.ProbeId))], ct)), cancellationToken);
        foreach (var item in claims.Where(i => !owned.Contains((i.CommandId!.Value, i.Probe!.ProbeId))))
        {
            item.Refusal = new Refusal(RefusalKind.ForeignCommand, $"commandId {item.CommandId} was not issued to probe {item.Probe!.ProbeId}");
            item.Line = null;
        }
    }

    private async Task<IReadOnlySet<Guid>> RecordAsync(List<ResultKey> keys, CancellationToken cancellationToken)
    {
        IReadOnlySet<Guid> duplicates = new HashSet<Guid>();
        await retry.RunAsync("PostgreSQL result ids", DataRefusedException.Guard(async ct => duplicates = await resultIds.RecordAsync(keys, ct)), cancellationToken);
        return duplicates;
    }

    private static void Duplicate(IngestionItem item)
    {
        item.Refusal = new Refusal(RefusalKind.Duplicate, $"resultId {item.Key.ResultId} was already stored with other values (a replay, not a redelivery)");
        item.Line = null;
    }

    // The last resort: the message alone still fails. Quarantine it with the exception; if even that fails, it is
    // acknowledged and counted as dropped, so it cannot come back and stop the pipeline again.
    private async Task<BatchOutcome> QuarantineFailureAsync(IngestionItem item, Exception exception, CancellationToken cancellationToken)
    {
        var resultId = item.ResultId;
        item.Reset();
        item.ResultId = resultId;
        item.Refusal = Refusal.From(exception is DataRefusedException { InnerException: { } inner } ? inner : exception);
        try
        {
            await retry.RunAsync("PostgreSQL quarantine", DataRefusedException.Guard(ct => quarantine.AddAsync([Entry(item)], ct)), cancellationToken);
            return new BatchOutcome(0, [item]);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.MessageDropped(ex, item.Message.Topic);
            metrics.Dropped();
            return BatchOutcome.Empty;
        }
    }

    private static QuarantineEntry Entry(IngestionItem item) =>
        new(item.Message.ReceivedAt, item.Message.Topic, item.ProbeId, item.ResultId, item.Refusal!.Value, item.Message.Payload);

    private async Task AcknowledgeAsync(IReadOnlyList<ReceivedMessage> batch)
    {
        try
        {
            await AcknowledgeAsync(batch, DeliveryLane.Session, connection);
            await AcknowledgeAsync(batch, DeliveryLane.Live, live.Connection);
        }
        finally
        {
            Settle(batch);
        }
    }

    // Each session's messages on that session's connection, in the order they came (MQTT 5, 4.6), in one write.
    private async Task AcknowledgeAsync(IReadOnlyList<ReceivedMessage> batch, DeliveryLane lane, MqttConnectionState on)
    {
        // MQTT 5, 4.4: a PUBACK answers a packet id of *this* network connection; after a reconnect the broker resends what
        // was not acknowledged, and the point simply overwrites itself.
        if (on.Channel is not { } channel || !on.IsConnected || channel.Generation != on.Generation)
        {
            return;
        }

        var packetIds = new List<ushort>(batch.Count);
        foreach (var message in batch)
        {
            if (message.Lane == lane && message.Generation == channel.Generation)
            {
                packetIds.Add(message.PacketId);
            }
        }

        try
        {
            // Not with the host's token: a batch made durable should still be acknowledged while the host stops.
            using var limit = new CancellationTokenSource(ThrottledChannel.MaxHold * 3, timeProvider);
            await channel.AcknowledgeAsync(packetIds, limit.Token);
        }
        catch (Exception ex)
        {
            // The connection broke: the broker redelivers what was not acknowledged, and each point overwrites itself.
            logger.MqttAckFailed(ex.Message);
        }
    }

    private void Settle(IReadOnlyList<ReceivedMessage> batch)
    {
        var fromLive = batch.Count(m => m.Lane == DeliveryLane.Live);
        queue.Settled(batch.Count - fromLive);
        live.Queue.Settled(fromLive);
    }

    private sealed record BatchOutcome(int Written, IReadOnlyList<IngestionItem> Refused)
    {
        public static readonly BatchOutcome Empty = new(0, []);

        public static BatchOutcome operator +(BatchOutcome a, BatchOutcome b) => new(a.Written + b.Written, [.. a.Refused, .. b.Refused]);
    }
}

/// <summary>A formatted point waiting for InfluxDB, with the message it came from.</summary>
internal sealed record PendingLine(ReceivedMessage Message, string? ResultId, string Line);
