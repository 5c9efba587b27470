using System.Text.Json;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Reads a <c>hts.result.v1</c> payload into a <see cref="ResultMessage"/> with one <see cref="Utf8JsonReader"/> pass,
/// accepting and refusing exactly what <c>JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.ResultMessage)</c>
/// does (a property-based test compares the two on valid, mutated and hostile payloads): the same names (case-sensitive,
/// escapes allowed), required members, no duplicate member, strict numbers (no strings, no NaN literals), the same date,
/// GUID and string conversions, absent members null or zero (an absent schema too), unknown members skipped, one value and
/// nothing after it, depth 64. Every refusal is a <see cref="JsonException"/>; one about a value names its member.
/// <para>
/// Why not the source-generated contract: its records have <c>required</c> <c>init</c> members, which the generator
/// can only set through its parameterized-constructor path, boxing every number into an argument array; on the
/// ingestion path that was the largest single cost (issue 16: 30 % of the server's thread-pool samples were in
/// System.Text.Json).
/// </para>
/// </summary>
internal static class ResultMessageReader
{
    // Required: resultId, probeId, link, server, startedAt, durationMs, status, agentVersion.
    private static readonly JsonMembers s_result = new(
        string.Empty,
        [
            "schema"u8.ToArray(), "resultId"u8.ToArray(), "probeId"u8.ToArray(), "link"u8.ToArray(), "server"u8.ToArray(),
            "startedAt"u8.ToArray(), "durationMs"u8.ToArray(), "status"u8.ToArray(), "downloadMbps"u8.ToArray(), "uploadMbps"u8.ToArray(),
            "latencyMs"u8.ToArray(), "jitterMs"u8.ToArray(), "lossPct"u8.ToArray(), "loadedLatencyMs"u8.ToArray(), "agentVersion"u8.ToArray(),
            "error"u8.ToArray(), "cpuBound"u8.ToArray(), "cpu"u8.ToArray(), "radio"u8.ToArray(), "commandId"u8.ToArray(),
        ],
        1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 14);

    private static readonly JsonMembers s_link = new("link.", ["name"u8.ToArray(), "access"u8.ToArray(), "operator"u8.ToArray(), "technology"u8.ToArray()], 0b1111);

    private static readonly JsonMembers s_cpu = new(
        "cpu.",
        ["probePct"u8.ToArray(), "waitPct"u8.ToArray(), "stealPct"u8.ToArray(), "busyPct"u8.ToArray(), "stalledPct"u8.ToArray(), "appLimitedPct"u8.ToArray()],
        0b1);

    private static readonly JsonMembers s_radio = new(
        "radio.",
        [
            "accessTechnology"u8.ToArray(), "changed"u8.ToArray(), "operatorCode"u8.ToArray(), "band"u8.ToArray(), "cellId"u8.ToArray(),
            "rsrpDbm"u8.ToArray(), "rsrqDb"u8.ToArray(), "sinrDb"u8.ToArray(),
        ],
        0b1);

    /// <summary>The message, or null for the JSON literal <c>null</c>; a <see cref="JsonException"/> for anything refused.</summary>
    public static ResultMessage? Read(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        var at = default(MemberAt);
        try
        {
            reader.Read();
            var message = reader.TokenType == JsonTokenType.Null ? null : ReadResult(ref reader, ref at);
            if (reader.Read())
            {
                throw new JsonException("Content after the JSON value.");
            }

            return message;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            // The reader's typed getters throw these for a value of the wrong kind or an unreadable one (a number where a
            // string belongs, a date that is not ISO 8601): refused, naming the member.
            throw at.Refusal(ex);
        }
    }

    private static ResultMessage ReadResult(ref Utf8JsonReader r, ref MemberAt at)
    {
        // Absent members stay null or zero, as the serializer leaves them: an absent schema is not the default one.
        string? schema = null, resultId = null, probeId = null, server = null, status = null, agentVersion = null, error = null;
        LinkInfo? link = null;
        DateTimeOffset startedAt = default;
        double durationMs = 0;
        double? download = null, upload = null, latency = null, jitter = null, loss = null, loadedLatency = null;
        bool? cpuBound = null;
        CpuInfo? cpu = null;
        RadioInfo? radio = null;
        Guid? commandId = null;
        uint seen = 0;
        while (s_result.Next(ref r, ref seen, out var member, ref at))
        {
            switch (member)
            {
                case 0: schema = r.GetString(); break;
                case 1: resultId = r.GetString(); break;
                case 2: probeId = r.GetString(); break;
                case 3: link = r.TokenType == JsonTokenType.Null ? null : ReadLink(ref r, ref at); break;
                case 4: server = r.GetString(); break;
                case 5: startedAt = r.GetDateTimeOffset(); break;
                case 6: durationMs = r.GetDouble(); break;
                case 7: status = r.GetString(); break;
                case 8: download = NullableDouble(ref r); break;
                case 9: upload = NullableDouble(ref r); break;
                case 10: latency = NullableDouble(ref r); break;
                case 11: jitter = NullableDouble(ref r); break;
                case 12: loss = NullableDouble(ref r); break;
                case 13: loadedLatency = NullableDouble(ref r); break;
                case 14: agentVersion = r.GetString(); break;
                case 15: error = r.GetString(); break;
                case 16: cpuBound = r.TokenType == JsonTokenType.Null ? null : r.GetBoolean(); break;
                case 17: cpu = r.TokenType == JsonTokenType.Null ? null : ReadCpu(ref r, ref at); break;
                case 18: radio = r.TokenType == JsonTokenType.Null ? null : ReadRadio(ref r, ref at); break;
                default: commandId = r.TokenType == JsonTokenType.Null ? null : r.GetGuid(); break;
            }
        }

        return new ResultMessage
        {
            Schema = schema!, ResultId = resultId!, ProbeId = probeId!, Link = link!, Server = server!, StartedAt = startedAt, DurationMs = durationMs,
            Status = status!, DownloadMbps = download, UploadMbps = upload, LatencyMs = latency, JitterMs = jitter, LossPct = loss,
            LoadedLatencyMs = loadedLatency, AgentVersion = agentVersion!, Error = error, CpuBound = cpuBound, Cpu = cpu, Radio = radio, CommandId = commandId,
        };
    }

    private static LinkInfo ReadLink(ref Utf8JsonReader r, ref MemberAt at)
    {
        var values = new string?[4];
        uint seen = 0;
        while (s_link.Next(ref r, ref seen, out var member, ref at))
        {
            values[member] = r.GetString();
        }

        return new LinkInfo { Name = values[0]!, Access = values[1]!, Operator = values[2]!, Technology = values[3]! };
    }

    private static CpuInfo ReadCpu(ref Utf8JsonReader r, ref MemberAt at)
    {
        var values = new double?[6];
        uint seen = 0;
        while (s_cpu.Next(ref r, ref seen, out var member, ref at))
        {
            values[member] = member == 0 ? r.GetDouble() : NullableDouble(ref r);
        }

        return new CpuInfo
        {
            ProbePct = values[0]!.Value, WaitPct = values[1], StealPct = values[2], BusyPct = values[3], StalledPct = values[4], AppLimitedPct = values[5],
        };
    }

    private static RadioInfo ReadRadio(ref Utf8JsonReader r, ref MemberAt at)
    {
        string? technology = null, operatorCode = null, band = null, cellId = null;
        bool? changed = null;
        double? rsrp = null, rsrq = null, sinr = null;
        uint seen = 0;
        while (s_radio.Next(ref r, ref seen, out var member, ref at))
        {
            switch (member)
            {
                case 0: technology = r.GetString(); break;
                case 1: changed = r.TokenType == JsonTokenType.Null ? null : r.GetBoolean(); break;
                case 2: operatorCode = r.GetString(); break;
                case 3: band = r.GetString(); break;
                case 4: cellId = r.GetString(); break;
                case 5: rsrp = NullableDouble(ref r); break;
                case 6: rsrq = NullableDouble(ref r); break;
                default: sinr = NullableDouble(ref r); break;
            }
        }

        return new RadioInfo
        {
            AccessTechnology = technology!, Changed = changed, OperatorCode = operatorCode, Band = band, CellId = cellId, RsrpDbm = rsrp, RsrqDb = rsrq, SinrDb = sinr,
        };
    }

    private static double? NullableDouble(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : r.GetDouble();
}
