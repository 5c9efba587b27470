using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// A fast path for the one message read most: a result, read straight from its UTF-8 bytes with
/// <see cref="Utf8JsonReader"/>, without System.Text.Json's metadata-driven deserialisation (which spent about 5 µs a
/// result, the largest in-process step; docs/measurements.md). It takes only what it is sure of — an object of the
/// contract's members, each once, each of its own JSON type, names without escapes, no <c>null</c>, nothing after the
/// object — and then builds exactly the <see cref="ResultMessage"/> that <see cref="ContractsJsonContext"/> would.
/// Anything else (an unknown member, a duplicate, a null, a wrong type, broken JSON) returns false and the caller
/// deserialises it the usual way, which accepts or refuses it with its own error message. So this reader decides nothing:
/// a property test (<c>ResultJsonReaderTests</c>) checks on mutated messages that whenever it accepts, the serializer
/// accepts the same bytes and reads an equal message.
/// </summary>
internal static class ResultJsonReader
{
    // One bit a member, in the order of the contract.
    private const int SchemaBit = 0, ResultIdBit = 1, ProbeIdBit = 2, LinkBit = 3, ServerBit = 4, StartedAtBit = 5, DurationBit = 6,
        StatusBit = 7, DownloadBit = 8, UploadBit = 9, LatencyBit = 10, JitterBit = 11, LossBit = 12, LoadedLatencyBit = 13,
        AgentVersionBit = 14, ErrorBit = 15, CpuBoundBit = 16, CpuBit = 17, RadioBit = 18, CommandIdBit = 19;

    private const int Required = (1 << ResultIdBit) | (1 << ProbeIdBit) | (1 << LinkBit) | (1 << ServerBit) | (1 << StartedAtBit)
        | (1 << DurationBit) | (1 << StatusBit) | (1 << AgentVersionBit);

    // The members' names as the contract spells them (camelCase), in the order of the bits above.
    private static readonly byte[][] s_resultMembers =
    [
        "schema"u8.ToArray(), "resultId"u8.ToArray(), "probeId"u8.ToArray(), "link"u8.ToArray(), "server"u8.ToArray(),
        "startedAt"u8.ToArray(), "durationMs"u8.ToArray(), "status"u8.ToArray(), "downloadMbps"u8.ToArray(), "uploadMbps"u8.ToArray(),
        "latencyMs"u8.ToArray(), "jitterMs"u8.ToArray(), "lossPct"u8.ToArray(), "loadedLatencyMs"u8.ToArray(),
        "agentVersion"u8.ToArray(), "error"u8.ToArray(), "cpuBound"u8.ToArray(), "cpu"u8.ToArray(), "radio"u8.ToArray(),
        "commandId"u8.ToArray(),
    ];

    private static readonly byte[][] s_linkMembers = ["name"u8.ToArray(), "access"u8.ToArray(), "operator"u8.ToArray(), "technology"u8.ToArray()];

    private static readonly byte[][] s_cpuMembers =
        ["probePct"u8.ToArray(), "waitPct"u8.ToArray(), "stealPct"u8.ToArray(), "busyPct"u8.ToArray(), "stalledPct"u8.ToArray(), "appLimitedPct"u8.ToArray()];

    private static readonly byte[][] s_radioMembers =
    [
        "accessTechnology"u8.ToArray(), "changed"u8.ToArray(), "operatorCode"u8.ToArray(), "band"u8.ToArray(), "cellId"u8.ToArray(),
        "rsrpDbm"u8.ToArray(), "rsrqDb"u8.ToArray(), "sinrDb"u8.ToArray(),
    ];

    /// <summary>The result in <paramref name="utf8"/>, or false when the serializer should read it instead.</summary>
    public static bool TryRead(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out ResultMessage? message)
    {
        message = null;
        try
        {
            var reader = new Utf8JsonReader(utf8);
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject && TryReadResult(ref reader, out message)
                && !reader.Read();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Broken JSON (the reader's own error) or a string the reader cannot unescape (a lone surrogate, which the
            // serializer turns into a JsonException): the serializer reads it again and says what is wrong.
            message = null;
            return false;
        }
    }

    private static bool TryReadResult(ref Utf8JsonReader reader, [NotNullWhen(true)] out ResultMessage? message)
    {
        message = null;
        string? schema = null, resultId = null, probeId = null, server = null, status = null, agentVersion = null, error = null;
        LinkInfo? link = null;
        CpuInfo? cpu = null;
        RadioInfo? radio = null;
        DateTimeOffset startedAt = default;
        double durationMs = 0;
        double? download = null, upload = null, latency = null, jitter = null, loss = null, loadedLatency = null;
        bool? cpuBound = null;
        Guid? commandId = null;
        var seen = 0;
        while (NextMember(ref reader, s_resultMembers, ref seen, out var bit))
        {
            var ok = bit switch
            {
                SchemaBit => TryString(ref reader, out schema),
                ResultIdBit => TryString(ref reader, out resultId),
                ProbeIdBit => TryString(ref reader, out probeId),
                LinkBit => TryReadLink(ref reader, out link),
                ServerBit => TryString(ref reader, out server),
                StartedAtBit => reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out startedAt),
                DurationBit => TryNumber(ref reader, out durationMs),
                StatusBit => TryString(ref reader, out status),
                DownloadBit => TryNumber(ref reader, out download),
                UploadBit => TryNumber(ref reader, out upload),
                LatencyBit => TryNumber(ref reader, out latency),
                JitterBit => TryNumber(ref reader, out jitter),
                LossBit => TryNumber(ref reader, out loss),
                LoadedLatencyBit => TryNumber(ref reader, out loadedLatency),
                AgentVersionBit => TryString(ref reader, out agentVersion),
                ErrorBit => TryString(ref reader, out error),
                CpuBoundBit => TryBoolean(ref reader, out cpuBound),
                CpuBit => TryReadCpu(ref reader, out cpu),
                RadioBit => TryReadRadio(ref reader, out radio),
                _ => TryGuid(ref reader, out commandId),
            };
            if (!ok)
            {
                return false;
            }
        }

        if (!Ended(ref reader, seen, Required))
        {
            return false;
        }

        message = new ResultMessage
        {
            // Null when absent, as the serializer leaves it (it passes every init-only member, a missing one as null, so the
            // record's default does not apply); validation refuses it either way.
            Schema = schema!,
            ResultId = resultId!,
            ProbeId = probeId!,
            Link = link!,
            Server = server!,
            StartedAt = startedAt,
            DurationMs = durationMs,
            Status = status!,
            DownloadMbps = download,
            UploadMbps = upload,
            LatencyMs = latency,
            JitterMs = jitter,
            LossPct = loss,
            LoadedLatencyMs = loadedLatency,
            AgentVersion = agentVersion!,
            Error = error,
            CpuBound = cpuBound,
            Cpu = cpu,
            Radio = radio,
            CommandId = commandId,
        };
        return true;
    }

    private static bool TryReadLink(ref Utf8JsonReader reader, out LinkInfo? link)
    {
        link = null;
        string? name = null, access = null, @operator = null, technology = null;
        var seen = 0;
        while (IsObject(ref reader, seen) && NextMember(ref reader, s_linkMembers, ref seen, out var bit))
        {
            var ok = bit switch
            {
                0 => TryString(ref reader, out name),
                1 => TryString(ref reader, out access),
                2 => TryString(ref reader, out @operator),
                _ => TryString(ref reader, out technology),
            };
            if (!ok)
            {
                return false;
            }
        }

        if (!Ended(ref reader, seen, 0b1111))
        {
            return false;
        }

        link = new LinkInfo { Name = name!, Access = access!, Operator = @operator!, Technology = technology! };
        return true;
    }

    private static bool TryReadCpu(ref Utf8JsonReader reader, out CpuInfo? cpu)
    {
        cpu = null;
        double probe = 0;
        double? wait = null, steal = null, busy = null, stalled = null, appLimited = null;
        var seen = 0;
        while (IsObject(ref reader, seen) && NextMember(ref reader, s_cpuMembers, ref seen, out var bit))
        {
            var ok = bit switch
            {
                0 => TryNumber(ref reader, out probe),
                1 => TryNumber(ref reader, out wait),
                2 => TryNumber(ref reader, out steal),
                3 => TryNumber(ref reader, out busy),
                4 => TryNumber(ref reader, out stalled),
                _ => TryNumber(ref reader, out appLimited),
            };
            if (!ok)
            {
                return false;
            }
        }

        if (!Ended(ref reader, seen, 1))
        {
            return false;
        }

        cpu = new CpuInfo { ProbePct = probe, WaitPct = wait, StealPct = steal, BusyPct = busy, StalledPct = stalled, AppLimitedPct = appLimited };
        return true;
    }

    private static bool TryReadRadio(ref Utf8JsonReader reader, out RadioInfo? radio)
    {
        radio = null;
        string? technology = null, operatorCode = null, band = null, cellId = null;
        bool? changed = null;
        double? rsrp = null, rsrq = null, sinr = null;
        var seen = 0;
        while (IsObject(ref reader, seen) && NextMember(ref reader, s_radioMembers, ref seen, out var bit))
        {
            var ok = bit switch
            {
                0 => TryString(ref reader, out technology),
                1 => TryBoolean(ref reader, out changed),
                2 => TryString(ref reader, out operatorCode),
                3 => TryString(ref reader, out band),
                4 => TryString(ref reader, out cellId),
                5 => TryNumber(ref reader, out rsrp),
                6 => TryNumber(ref reader, out rsrq),
                _ => TryNumber(ref reader, out sinr),
            };
            if (!ok)
            {
                return false;
            }
        }

        if (!Ended(ref reader, seen, 1))
        {
            return false;
        }

        radio = new RadioInfo
        {
            AccessTechnology = technology!, Changed = changed, OperatorCode = operatorCode, Band = band, CellId = cellId,
            RsrpDbm = rsrp, RsrqDb = rsrq, SinrDb = sinr,
        };
        return true;
    }

    // A nested member's value must open an object (checked before its first member: seen is still 0).
    private static bool IsObject(ref Utf8JsonReader reader, int seen) => seen != 0 || reader.TokenType == JsonTokenType.StartObject;

    // Reads the next member's name and moves to its value: its index in names (one of the contract's, unescaped, not seen
    // before in this object), or false at the object's end and at anything else (an unknown, escaped or repeated name).
    private static bool NextMember(ref Utf8JsonReader reader, byte[][] names, ref int seen, out int index)
    {
        index = -1;
        if (!reader.Read() || reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped)
        {
            return false;
        }

        var name = reader.ValueSpan;
        for (var i = 0; i < names.Length; i++)
        {
            if (name.SequenceEqual(names[i]))
            {
                index = i;
                break;
            }
        }

        if (index < 0 || (seen & (1 << index)) != 0 || !reader.Read())
        {
            return false;
        }

        seen |= 1 << index;
        return true;
    }

    // Whether the members' loop stopped at the object's end, with every required member read.
    private static bool Ended(ref Utf8JsonReader reader, int seen, int required) =>
        reader.TokenType == JsonTokenType.EndObject && (seen & required) == required;

    private static bool TryString(ref Utf8JsonReader reader, out string? value)
    {
        value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return value is not null;
    }

    private static bool TryNumber(ref Utf8JsonReader reader, out double value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out value);
    }

    private static bool TryNumber(ref Utf8JsonReader reader, out double? value)
    {
        var ok = TryNumber(ref reader, out double number);
        value = ok ? number : null;
        return ok;
    }

    private static bool TryBoolean(ref Utf8JsonReader reader, out bool? value)
    {
        value = reader.TokenType switch { JsonTokenType.True => true, JsonTokenType.False => false, _ => null };
        return value is not null;
    }

    private static bool TryGuid(ref Utf8JsonReader reader, out Guid? value)
    {
        value = null;
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetGuid(out var guid))
        {
            return false;
        }

        value = guid;
        return true;
    }
}
