using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using HaTangSo.Telemetry.Contracts;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>What validation made of one message: a result, or the reason it was refused.</summary>
internal readonly record struct ValidationOutcome(ResultMessage? Result, string? Reason)
{
    public bool IsValid => Result is not null;

    public static ValidationOutcome Refused(string reason) => new(null, reason);
}

/// <summary>
/// Checks a result message against the contract: JSON syntax, the schema's types and required fields,
/// plausible ranges (<see cref="ResultLimits"/>), the clock, and that the topic names the same probe.
/// The JSON Schema in Contracts states the same rules; a test keeps the two in step.
/// </summary>
internal sealed class ResultValidator(TimeProvider timeProvider, IOptions<IngestionOptions> options)
{
    public ValidationOutcome Validate(string topicProbeId, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > ResultLimits.MaxPayloadBytes)
        {
            return ValidationOutcome.Refused($"payload of {payload.Length} bytes exceeds the limit of {ResultLimits.MaxPayloadBytes}");
        }

        if (!Utf8.IsValid(payload))
        {
            return ValidationOutcome.Refused("payload is not valid UTF-8");
        }

        ResultMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.ResultMessage);
        }
        catch (JsonException ex)
        {
            return ValidationOutcome.Refused("invalid JSON or wrong type: " + ex.Message);
        }

        if (message is null)
        {
            return ValidationOutcome.Refused("payload is JSON null");
        }

        var reason = CheckFields(message, topicProbeId);
        return reason is null ? new ValidationOutcome(Normalize(message), null) : ValidationOutcome.Refused(reason);
    }

    private string? CheckFields(ResultMessage m, string topicProbeId)
    {
        if (m.Schema != ResultMessage.SchemaName)
        {
            return $"schema must be '{ResultMessage.SchemaName}'";
        }

        if (!Guid.TryParseExact(m.ResultId, "D", out _))
        {
            return "resultId is not a UUID";
        }

        if (!Topics.IsValidProbeId(m.ProbeId))
        {
            return "probeId does not match ^[a-z0-9][a-z0-9-]{2,63}$";
        }

        if (!string.Equals(m.ProbeId, topicProbeId, StringComparison.Ordinal))
        {
            return "probeId in the payload differs from the probe id in the topic";
        }

        if (m.Link is null)
        {
            return "link is null";
        }

        if (!AccessKind.All.Contains(m.Link.Access))
        {
            return "link.access must be 'fixed' or 'mobile'";
        }

        if (!ResultStatus.All.Contains(m.Status))
        {
            return "status must be one of ok, partial, failed, skipped";
        }

        var text = ShortText("link.name", m.Link.Name) ?? ShortText("link.operator", m.Link.Operator)
            ?? ShortText("link.technology", m.Link.Technology) ?? ShortText("server", m.Server)
            ?? ShortText("agentVersion", m.AgentVersion);
        if (text is not null)
        {
            return text;
        }

        if (m.Error is { Length: > ResultLimits.MaxErrorString })
        {
            return $"error is longer than {ResultLimits.MaxErrorString} characters";
        }

        var now = timeProvider.GetUtcNow();
        if (m.StartedAt > now + options.Value.MaxClockSkew)
        {
            return $"startedAt {m.StartedAt.ToString("O", CultureInfo.InvariantCulture)} is in the future (more than {options.Value.MaxClockSkew} ahead of the server)";
        }

        if (m.StartedAt < now - options.Value.MaxResultAge)
        {
            return $"startedAt {m.StartedAt.ToString("O", CultureInfo.InvariantCulture)} is older than {options.Value.MaxResultAge.TotalDays} days";
        }

        return Range("durationMs", m.DurationMs, ResultLimits.MaxDurationMs)
            ?? Range("downloadMbps", m.DownloadMbps, ResultLimits.MaxMbps)
            ?? Range("uploadMbps", m.UploadMbps, ResultLimits.MaxMbps)
            ?? Range("latencyMs", m.LatencyMs, ResultLimits.MaxMilliseconds)
            ?? Range("jitterMs", m.JitterMs, ResultLimits.MaxMilliseconds)
            ?? Range("lossPct", m.LossPct, 100)
            ?? Range("loadedLatencyMs", m.LoadedLatencyMs, ResultLimits.MaxMilliseconds)
            ?? (m.Status == ResultStatus.Ok && m.DownloadMbps is null ? "status is 'ok' but downloadMbps is null" : null);
    }

    private static string? Range(string name, double? value, double max) => value switch
    {
        null => null,
        double v when !double.IsFinite(v) => $"{name} is not a finite number",
        < 0 => $"{name} is negative",
        double v when v > max => $"{name} exceeds the plausible maximum of {max.ToString(CultureInfo.InvariantCulture)}",
        _ => null,
    };

    private static string? ShortText(string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{name} is missing or empty";
        }

        if (value.Length > ResultLimits.MaxShortString)
        {
            return $"{name} is longer than {ResultLimits.MaxShortString} characters";
        }

        // Control characters (newlines above all) have no place in a tag and would be a line-protocol injection attempt.
        return value.AsSpan().IndexOfAnyInRange('\0', '\u001f') >= 0 || value.Contains('\u007f', StringComparison.Ordinal)
            ? $"{name} contains control characters"
            : null;
    }

    // One spelling per operator so that "viettel" and "Viettel" are one series.
    private static ResultMessage Normalize(ResultMessage m)
    {
        var canonical = OperatorNames.Canonical(m.Link.Operator);
        var technology = m.Link.Technology.ToLowerInvariant();
        var startedAt = m.StartedAt.ToUniversalTime();
        return canonical == m.Link.Operator && technology == m.Link.Technology && startedAt.Offset == m.StartedAt.Offset
            ? m
            : m with { Link = m.Link with { Operator = canonical, Technology = technology }, StartedAt = startedAt };
    }
}
