using System.Buffers.Binary;
using System.Security.Cryptography;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Influx;
using HaTangSo.Telemetry.Server.Registry;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// The per-message steps of ingestion, in memory and synchronous: topic, registry, validation (contract and name
/// allow-lists), the registered link and server, plausibility, the measurement-time rate limit, and the point's line.
/// Each step that can meet a hostile message runs inside a boundary that turns any exception into a
/// <see cref="RefusalKind.ProcessingError"/> refusal: no message can throw out of here.
/// </summary>
internal sealed class MessageChecks(ResultValidator validator, ResultChecks registry, ProbeRateLimiter rateLimiter, ProbeDirectory directory)
{
    /// <summary>Reads the topic of a message just received (never throws).</summary>
    public IngestionItem Arrive(ReceivedMessage message)
    {
        var item = new IngestionItem(message);
        try
        {
            if (!Topics.TryParse(message.Topic, out var probeId, out var kind) || kind is not ("results" or "status"))
            {
                item.ArrivalRefusal = new Refusal(RefusalKind.Topic, "topic is not hts/v1/probes/{probeId}/results or /status");
                return item;
            }

            item.ProbeId = probeId;
            item.Kind = kind == "results" ? MessageKind.Result : MessageKind.Status;
            Locate(item);
        }
        catch (Exception ex)
        {
            item.ArrivalRefusal = Refusal.From(ex);
        }

        return item;
    }

    /// <summary>Looks the topic's probe up in the registry (again, after a reload).</summary>
    public void Locate(IngestionItem item) =>
        item.Probe = item.ProbeId is not null && directory.TryGet(item.ProbeId, out var probe) ? probe : null;

    /// <summary>Decides what to do with the message: a line, a status, a refusal, or nothing (never throws).</summary>
    public void Check(IngestionItem item)
    {
        item.Reset();
        if (item.Refusal is not null)
        {
            return;
        }

        try
        {
            if (item.Kind == MessageKind.Status)
            {
                CheckStatus(item);
            }
            else
            {
                CheckResult(item);
            }
        }
        catch (Exception ex)
        {
            item.Reset();
            item.Refusal = Refusal.From(ex);
        }
    }

    /// <summary>The first 64 bits of the payload's SHA-256: equal for a redelivery, different for other values.</summary>
    public static long Fingerprint(ReadOnlySpan<byte> payload)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(payload, hash);
        return BinaryPrimitives.ReadInt64LittleEndian(hash);
    }

    private void CheckResult(IngestionItem item)
    {
        // The registry first: an unknown or revoked probe's payload is not even parsed.
        if (item.Probe is not { } probe)
        {
            item.Refusal = new Refusal(RefusalKind.UnknownProbe, $"probe '{item.ProbeId}' is not in the registry");
            return;
        }

        if (!probe.Enabled)
        {
            item.Refusal = new Refusal(RefusalKind.DisabledProbe, $"probe '{probe.ProbeId}' is disabled (revoked)");
            return;
        }

        var payload = item.Message.Payload.Span;
        var outcome = validator.Validate(probe.ProbeId, payload);
        if (outcome.Result is not { } result)
        {
            item.Refusal = outcome.Refusal;
            return;
        }

        item.ResultId = result.ResultId;
        if (registry.Check(result, probe, out var registered) is { } refusal)
        {
            item.Refusal = refusal;
            return;
        }

        var resultId = Guid.ParseExact(result.ResultId, "D");
        if (rateLimiter.Admit(probe, registered.Link.Name, result.StartedAt, resultId) is { } limited)
        {
            item.Refusal = limited;
            return;
        }

        item.Line = ResultPoints.Format(result, probe, registered.Link, registered.Server);
        item.Key = new ResultKey(resultId, Fingerprint(payload));
        item.CommandId = result.CommandId;
    }

    private static void CheckStatus(IngestionItem item)
    {
        // An empty retained message clears the topic (MQTT 5, 3.3.1.3): nothing to record.
        if (item.Message.Payload.IsEmpty)
        {
            return;
        }

        if (item.Probe is not { } probe)
        {
            item.Refusal = new Refusal(RefusalKind.UnknownProbe, $"status: probe '{item.ProbeId}' is not in the registry");
            return;
        }

        var (status, refusal) = ProbeStatusHandler.Parse(item.Message.Payload, probe.ProbeId);
        if (status is null)
        {
            item.Refusal = refusal;
            return;
        }

        item.Status = new AcceptedStatus(item.Message, status);
        item.Line = ResultPoints.FormatStatus(status, probe, item.Message.ReceivedAt);
    }
}
