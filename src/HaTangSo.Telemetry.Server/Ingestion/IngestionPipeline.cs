using System.Diagnostics;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Influx;
using HaTangSo.Telemetry.Server.Quarantine;
using HaTangSo.Telemetry.Server.Registry;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Makes one batch durable, then acknowledges it: valid results become InfluxDB points, everything
/// refused goes to the quarantine with its reason, probe status goes to PostgreSQL. Only after all of that
/// succeeded are the PUBACKs sent — on the connection that delivered each message, never a newer one.
/// Until then failures are retried; if the process dies, the broker redelivers and the idempotent points
/// overwrite themselves.
/// </summary>
internal sealed class IngestionPipeline(
    ResultValidator validator,
    ProbeRateLimiter rateLimiter,
    ProbeDirectory directory,
    InfluxPointWriter influx,
    QuarantineStore quarantine,
    ProbeStatusHandler statuses,
    DurableRetry retry,
    MqttConnectionState connection,
    IngestionQueue queue,
    IngestionMetrics metrics,
    TimeProvider timeProvider,
    ILogger<IngestionPipeline> logger)
{
    public async Task ProcessAsync(IReadOnlyList<ReceivedMessage> batch, CancellationToken cancellationToken)
    {
        using var activity = ServerActivity.Source.StartActivity("ingest batch");
        activity?.SetTag("hts.batch.size", batch.Count);
        var started = timeProvider.GetTimestamp();

        var lines = new List<PendingLine>(batch.Count);
        var refused = new List<QuarantineEntry>();
        var statusBatch = new List<(ReceivedMessage Message, string ProbeId)>();
        var reloaded = false;
        foreach (var message in batch)
        {
            if (!Topics.TryParse(message.Topic, out var probeId, out var kind) || kind is not ("results" or "status"))
            {
                refused.Add(Refuse(message, null, null, "topic is not hts/v1/probes/{probeId}/results or /status"));
                continue;
            }

            if (kind == "status")
            {
                statusBatch.Add((message, probeId));
                continue;
            }

            var outcome = validator.Validate(probeId, message.Payload.Span);
            if (!outcome.IsValid)
            {
                refused.Add(Refuse(message, probeId, null, outcome.Reason!));
                continue;
            }

            var result = outcome.Result!;
            if (!directory.TryGet(probeId, out var location) && !reloaded)
            {
                reloaded = await directory.ReloadAfterMissAsync(cancellationToken);
                directory.TryGet(probeId, out location);
            }

            if (location is null)
            {
                refused.Add(Refuse(message, probeId, result.ResultId, $"probe '{probeId}' is not in the registry"));
            }
            else if (!location.Enabled)
            {
                refused.Add(Refuse(message, probeId, result.ResultId, $"probe '{probeId}' is disabled (revoked)"));
            }
            else if (rateLimiter.Admit(location, result.Link.Name, result.StartedAt, Guid.Parse(result.ResultId)) is { } excess)
            {
                refused.Add(Refuse(message, probeId, result.ResultId, excess));
            }
            else
            {
                lines.Add(new PendingLine(message, result.ResultId, ResultPoints.Format(result, location)));
            }
        }

        var statusLines = await statuses.HandleAsync(statusBatch, refused, cancellationToken);

        // What is refused already goes to PostgreSQL while InfluxDB writes the rest: a flood of refused messages
        // (a broken or stolen probe) then costs the batch no more than the slower of the two.
        var early = refused.ToArray();
        var quarantining = retry.RunAsync("PostgreSQL quarantine", ct => quarantine.AddAsync(early, ct), cancellationToken);
        IReadOnlyList<(PendingLine Line, string Reason)> rejected;
        try
        {
            rejected = await influx.WriteAsync([.. lines, .. statusLines], cancellationToken);
        }
        finally
        {
            await quarantining;
        }

        var late = rejected.Select(r => Refuse(r.Line.Message, null, r.Line.ResultId, "InfluxDB refused the point: " + r.Reason)).ToArray();
        await retry.RunAsync("PostgreSQL quarantine", ct => quarantine.AddAsync(late, ct), cancellationToken);
        refused.AddRange(late);
        foreach (var entry in refused)
        {
            metrics.Quarantined(ReasonKind(entry.Reason));
            logger.MessageQuarantined(entry.Topic, entry.Reason);
        }

        var elapsed = timeProvider.GetElapsedTime(started);
        metrics.Written(lines.Count + statusLines.Count - rejected.Count);
        metrics.Batch(batch.Count, elapsed);
        logger.BatchWritten(batch.Count, lines.Count + statusLines.Count - rejected.Count, refused.Count, elapsed);
        await AcknowledgeAsync(batch, cancellationToken);
    }

    private async Task AcknowledgeAsync(IReadOnlyList<ReceivedMessage> batch, CancellationToken cancellationToken)
    {
        try
        {
            var generation = connection.Generation;
            foreach (var message in batch)
            {
                // MQTT 5, 4.4: a PUBACK answers a packet id of *this* network connection; after a reconnect the
                // broker resends what was not acknowledged, and the point simply overwrites itself.
                if (message.Generation != generation || !connection.IsConnected)
                {
                    continue;
                }

                try
                {
                    await message.Acknowledge(cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.MqttAckFailed(ex.Message);
                }
            }
        }
        finally
        {
            queue.Settled(batch.Count);
        }
    }

    private static QuarantineEntry Refuse(ReceivedMessage message, string? probeId, string? resultId, string reason) =>
        new(message.ReceivedAt, message.Topic, probeId, resultId, reason, message.Payload);

    // A low-cardinality label for the metric: the reason up to its first variable part.
    internal static string ReasonKind(string reason)
    {
        var end = reason.IndexOfAny([' ', ':', '\'']);
        var first = end < 0 ? reason : reason[..end];
        return reason switch
        {
            _ when reason.StartsWith("invalid JSON", StringComparison.Ordinal) => "invalid_json",
            _ when reason.StartsWith("probe '", StringComparison.Ordinal) && reason.EndsWith("registry", StringComparison.Ordinal) => "unknown_probe",
            _ when reason.StartsWith("probe '", StringComparison.Ordinal) => "disabled_probe",
            _ when reason.StartsWith("InfluxDB", StringComparison.Ordinal) => "influxdb_refused",
            _ when reason.StartsWith("payload", StringComparison.Ordinal) => "payload",
            _ when reason.StartsWith("topic", StringComparison.Ordinal) => "topic",
            _ when reason.StartsWith("rate limit", StringComparison.Ordinal) => "rate_limit",
            _ when reason.StartsWith("status", StringComparison.Ordinal) => "status",
            _ => "field_" + first,
        };
    }
}

/// <summary>A formatted point waiting for InfluxDB, with the message it came from.</summary>
internal sealed record PendingLine(ReceivedMessage Message, string? ResultId, string Line);
