using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using HaTangSo.Telemetry.Contracts;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>What validation made of one message: a result, or the refusal.</summary>
internal readonly record struct ValidationOutcome(ResultMessage? Result, Refusal Refusal)
{
    public bool IsValid => Result is not null;

    /// <summary>The refusal's detail (null when valid).</summary>
    public string? Reason => IsValid ? null : Refusal.Detail;

    public static ValidationOutcome Refused(RefusalKind kind, string detail) => new(null, new Refusal(kind, detail));
}

/// <summary>
/// Checks a result message against the contract: JSON syntax, the schema's types and required fields, every name
/// against its <see cref="NameRules"/> allow-list, plausible ranges (<see cref="ResultLimits"/>), the clock, and that
/// the topic names the same probe. The JSON Schema in Contracts states the same rules; a test keeps the two in step.
/// What the registry says about the probe, its links and the servers is checked afterwards (<see cref="ResultChecks"/>).
/// </summary>
internal sealed class ResultValidator(TimeProvider timeProvider, IOptions<IngestionOptions> options)
{
    public ValidationOutcome Validate(string topicProbeId, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > ResultLimits.MaxPayloadBytes)
        {
            return ValidationOutcome.Refused(RefusalKind.TooLarge, $"payload of {payload.Length} bytes exceeds the limit of {ResultLimits.MaxPayloadBytes}");
        }

        if (!Utf8.IsValid(payload))
        {
            return ValidationOutcome.Refused(RefusalKind.NotUtf8, "payload is not valid UTF-8");
        }

        // The fast path takes the well-formed results; everything else is read, and refused with its reason, by the
        // serializer.
        if (!ResultJsonReader.TryRead(payload, out var message))
        {
            try
            {
                message = JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.ResultMessage);
            }
            catch (JsonException ex)
            {
                return ValidationOutcome.Refused(RefusalKind.InvalidJson, "invalid JSON or wrong type: " + ex.Message);
            }
        }

        if (message is null)
        {
            return ValidationOutcome.Refused(RefusalKind.InvalidJson, "payload is JSON null");
        }

        var refusal = CheckFields(message, topicProbeId);
        return refusal is null ? new ValidationOutcome(ToUtc(message), default) : new ValidationOutcome(null, refusal.Value);
    }

    private Refusal? CheckFields(ResultMessage m, string topicProbeId)
    {
        if (m.Schema != ResultMessage.SchemaName)
        {
            return Field($"schema must be '{ResultMessage.SchemaName}'");
        }

        // Exactly 36 characters: Guid parsing forgives surrounding white space, the contract (and the stored field) does not.
        if (m.ResultId is not { Length: 36 } || !Guid.TryParseExact(m.ResultId, "D", out _))
        {
            return Field("resultId is not a UUID (8-4-4-4-12 hexadecimal digits)");
        }

        if (!Topics.IsValidProbeId(m.ProbeId))
        {
            return Field("probeId does not match ^[a-z0-9][a-z0-9-]{2,63}$");
        }

        if (!string.Equals(m.ProbeId, topicProbeId, StringComparison.Ordinal))
        {
            return Field("probeId in the payload differs from the probe id in the topic");
        }

        if (m.Link is null)
        {
            return Field("link is null");
        }

        if (!AccessKind.All.Contains(m.Link.Access))
        {
            return Field("link.access must be 'fixed' or 'mobile'");
        }

        if (!ResultStatus.All.Contains(m.Status))
        {
            return Field("status must be one of ok, partial, failed, skipped");
        }

        // Every string that can become a tag (or is shown to people) against its allow-list, before anything compares
        // it with the registry: a refused value is never echoed back, an accepted one is safe to quote in a reason.
        var name = Name("link.name", NameKind.LinkName, m.Link.Name) ?? Name("link.operator", NameKind.Operator, m.Link.Operator)
            ?? Name("link.technology", NameKind.Technology, m.Link.Technology) ?? Name("server", NameKind.ServerId, m.Server)
            ?? Name("agentVersion", NameKind.Version, m.AgentVersion)
            ?? (m.Error is null ? null : Name("error", NameKind.Diagnostic, m.Error));
        if (name is not null)
        {
            return name;
        }

        var now = timeProvider.GetUtcNow();
        if (m.StartedAt > now + options.Value.MaxClockSkew)
        {
            return new Refusal(RefusalKind.Clock, $"startedAt {m.StartedAt.ToString("O", CultureInfo.InvariantCulture)} is in the future (more than {options.Value.MaxClockSkew} ahead of the server)");
        }

        if (m.StartedAt < now - options.Value.MaxResultAge)
        {
            return new Refusal(RefusalKind.Clock, $"startedAt {m.StartedAt.ToString("O", CultureInfo.InvariantCulture)} is older than {options.Value.MaxResultAge.TotalDays} days");
        }

        var range = Range("durationMs", m.DurationMs, ResultLimits.MaxDurationMs)
            ?? Range("downloadMbps", m.DownloadMbps, ResultLimits.MaxMbps)
            ?? Range("uploadMbps", m.UploadMbps, ResultLimits.MaxMbps)
            ?? Range("latencyMs", m.LatencyMs, ResultLimits.MaxMilliseconds)
            ?? Range("jitterMs", m.JitterMs, ResultLimits.MaxMilliseconds)
            ?? Range("lossPct", m.LossPct, 100)
            ?? Range("loadedLatencyMs", m.LoadedLatencyMs, ResultLimits.MaxMilliseconds)
            ?? (m.Status == ResultStatus.Ok && m.DownloadMbps is null ? "status is 'ok' but downloadMbps is null" : null);
        return range is null ? CheckRadio(m) : Field(range);
    }

    // Radio facts (optional): the technology from its bounded set (it becomes a tag), the strings against their
    // allow-lists, the signal within the 3GPP reporting ranges. Only a mobile link can carry them.
    private static Refusal? CheckRadio(ResultMessage m)
    {
        if (m.Radio is not { } radio)
        {
            return null;
        }

        if (m.Link.Access != AccessKind.Mobile)
        {
            return Field("radio is given for a link that is not mobile");
        }

        if (!RadioTechnology.All.Contains(radio.AccessTechnology))
        {
            return Field($"radio.accessTechnology must be one of {string.Join(", ", RadioTechnology.All)}");
        }

        var name = (radio.OperatorCode is null ? null : Name("radio.operatorCode", NameKind.MobileNetworkCode, radio.OperatorCode))
            ?? (radio.Band is null ? null : Name("radio.band", NameKind.RadioBand, radio.Band))
            ?? (radio.CellId is null ? null : Name("radio.cellId", NameKind.CellId, radio.CellId));
        if (name is not null)
        {
            return name;
        }

        var range = Between("radio.rsrpDbm", radio.RsrpDbm, RadioLimits.MinRsrpDbm, RadioLimits.MaxRsrpDbm)
            ?? Between("radio.rsrqDb", radio.RsrqDb, RadioLimits.MinRsrqDb, RadioLimits.MaxRsrqDb)
            ?? Between("radio.sinrDb", radio.SinrDb, RadioLimits.MinSinrDb, RadioLimits.MaxSinrDb);
        return range is null ? null : Field(range);
    }

    private static string? Between(string name, double? value, double min, double max) => value switch
    {
        null => null,
        double v when !double.IsFinite(v) => $"{name} is not a finite number",
        double v when v < min || v > max =>
            $"{name} is outside the plausible range {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}",
        _ => null,
    };

    private static Refusal Field(string detail) => new(RefusalKind.InvalidField, detail);

    private static Refusal? Name(string field, NameKind kind, string? value) =>
        NameRules.Check(kind, value) is { } rule ? new Refusal(RefusalKind.InvalidName, $"{field} {rule}") : null;

    private static string? Range(string name, double? value, double max) => value switch
    {
        null => null,
        double v when !double.IsFinite(v) => $"{name} is not a finite number",
        < 0 => $"{name} is negative",
        double v when v > max => $"{name} exceeds the plausible maximum of {max.ToString(CultureInfo.InvariantCulture)}",
        _ => null,
    };

    // One instant, one representation: the point's timestamp and the duplicate check see the same UTC time.
    private static ResultMessage ToUtc(ResultMessage m) =>
        m.StartedAt.Offset == TimeSpan.Zero ? m : m with { StartedAt = m.StartedAt.ToUniversalTime() };
}
