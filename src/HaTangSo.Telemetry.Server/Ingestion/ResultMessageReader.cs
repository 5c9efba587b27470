using System.Text.Json;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Reads a <c>hts.result.v1</c> payload into a <see cref="ResultMessage"/> with one <see cref="Utf8JsonReader"/> pass,
/// accepting and refusing exactly what <c>JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.ResultMessage)</c>
/// does (a property-based test compares the two on valid, mutated and hostile payloads): the same names (case-sensitive,
/// escapes allowed), required members, no duplicate member, strict numbers (no strings, no NaN), the same date, GUID and
/// string conversions, unknown members skipped, one value and nothing after it, depth 64. Every refusal is a
/// <see cref="JsonException"/>.
/// <para>
/// Why not the source-generated contract: its records have <c>required</c> <c>init</c> members, which the generator
/// can only set through its parameterized-constructor path, boxing every number into an argument array; on the
/// ingestion path that was the largest single cost (issue 16: 30 % of the server's thread-pool samples were in
/// System.Text.Json).
/// </para>
/// </summary>
internal static class ResultMessageReader
{
    private static readonly byte[][] s_result =
    [
        "schema"u8.ToArray(), "resultId"u8.ToArray(), "probeId"u8.ToArray(), "link"u8.ToArray(), "server"u8.ToArray(),
        "startedAt"u8.ToArray(), "durationMs"u8.ToArray(), "status"u8.ToArray(), "downloadMbps"u8.ToArray(), "uploadMbps"u8.ToArray(),
        "latencyMs"u8.ToArray(), "jitterMs"u8.ToArray(), "lossPct"u8.ToArray(), "loadedLatencyMs"u8.ToArray(), "agentVersion"u8.ToArray(),
        "error"u8.ToArray(), "cpuBound"u8.ToArray(), "cpu"u8.ToArray(), "radio"u8.ToArray(), "commandId"u8.ToArray(),
    ];

    // resultId, probeId, link, server, startedAt, durationMs, status, agentVersion.
    private const uint ResultRequired = 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 14;

    private static readonly byte[][] s_link = ["name"u8.ToArray(), "access"u8.ToArray(), "operator"u8.ToArray(), "technology"u8.ToArray()];

    private static readonly byte[][] s_cpu =
        ["probePct"u8.ToArray(), "waitPct"u8.ToArray(), "stealPct"u8.ToArray(), "busyPct"u8.ToArray(), "stalledPct"u8.ToArray(), "appLimitedPct"u8.ToArray()];

    private static readonly byte[][] s_radio =
    [
        "accessTechnology"u8.ToArray(), "changed"u8.ToArray(), "operatorCode"u8.ToArray(), "band"u8.ToArray(), "cellId"u8.ToArray(),
        "rsrpDbm"u8.ToArray(), "rsrqDb"u8.ToArray(), "sinrDb"u8.ToArray(),
    ];

    /// <summary>The message, or null for the JSON literal <c>null</c>; a <see cref="JsonException"/> for anything refused.</summary>
    public static ResultMessage? Read(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        try
        {
            reader.Read();
            var message = reader.TokenType == JsonTokenType.Null ? null : ReadResult(ref reader);
            if (reader.Read())
            {
                throw new JsonException("Content after the JSON value.");
            }

            return message;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            // Not expected (the members' values are caught where they are read, and named): refused all the same.
            throw new JsonException(ex.Message, ex);
        }
    }

    private static ResultMessage ReadResult(ref Utf8JsonReader reader)
    {
        // Absent members are null or zero, as the serializer leaves them: an absent schema is not the default one.
        string? schema = null, resultId = null, probeId = null, server = null, status = null, agentVersion = null, error = null;
        LinkInfo? link = null;
        DateTimeOffset startedAt = default;
        double durationMs = 0;
        double? download = null, upload = null, latency = null, jitter = null, loss = null, loadedLatency = null;
        bool? cpuBound = null;
        CpuInfo? cpu = null;
        RadioInfo? radio = null;
        Guid? commandId = null;
        JsonMembers.Expect(ref reader, JsonTokenType.StartObject);
        uint seen = 0;
        while (JsonMembers.NextMember(ref reader, s_result, ref seen, out var member))
        {
            try
            {
                ref var r = ref reader;
                switch (member)
                {
                    case 0: schema = r.GetString(); break;
                    case 1: resultId = r.GetString(); break;
                    case 2: probeId = r.GetString(); break;
                    case 3: link = r.TokenType == JsonTokenType.Null ? null : ReadLink(ref r); break;
                    case 4: server = r.GetString(); break;
                    case 5: startedAt = r.GetDateTimeOffset(); break;
                    case 6: durationMs = r.GetDouble(); break;
                    case 7: status = r.GetString(); break;
                    case 8: download = JsonMembers.NullableDouble(ref r); break;
                    case 9: upload = JsonMembers.NullableDouble(ref r); break;
                    case 10: latency = JsonMembers.NullableDouble(ref r); break;
                    case 11: jitter = JsonMembers.NullableDouble(ref r); break;
                    case 12: loss = JsonMembers.NullableDouble(ref r); break;
                    case 13: loadedLatency = JsonMembers.NullableDouble(ref r); break;
                    case 14: agentVersion = r.GetString(); break;
                    case 15: error = r.GetString(); break;
                    case 16: cpuBound = r.TokenType == JsonTokenType.Null ? null : r.GetBoolean(); break;
                    case 17: cpu = r.TokenType == JsonTokenType.Null ? null : ReadCpu(ref r); break;
                    case 18: radio = r.TokenType == JsonTokenType.Null ? null : ReadRadio(ref r); break;
                    default: commandId = r.TokenType == JsonTokenType.Null ? null : r.GetGuid(); break;
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException)
            {
                throw JsonMembers.Wrong("", s_result[member], ex);
            }
        }

        JsonMembers.Required(seen, ResultRequired, s_result);
        return new ResultMessage
        {
            Schema = schema!, ResultId = resultId!, ProbeId = probeId!, Link = link!, Server = server!, StartedAt = startedAt, DurationMs = durationMs,
            Status = status!, DownloadMbps = download, UploadMbps = upload, LatencyMs = latency, JitterMs = jitter, LossPct = loss,
            LoadedLatencyMs = loadedLatency, AgentVersion = agentVersion!, Error = error, CpuBound = cpuBound, Cpu = cpu, Radio = radio, CommandId = commandId,
        };
    }

    private static LinkInfo ReadLink(ref Utf8JsonReader reader)
    {
        string? name = null, access = null, @operator = null, technology = null;
        JsonMembers.Expect(ref reader, JsonTokenType.StartObject);
        uint seen = 0;
        while (JsonMembers.NextMember(ref reader, s_link, ref seen, out var member))
        {
            try
            {
                var value = reader.GetString();
                switch (member)
                {
                    case 0: name = value; break;
                    case 1: access = value; break;
                    case 2: @operator = value; break;
                    default: technology = value; break;
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException)
            {
                throw JsonMembers.Wrong("link.", s_link[member], ex);
            }
        }

        JsonMembers.Required(seen, 0b1111, s_link);
        return new LinkInfo { Name = name!, Access = access!, Operator = @operator!, Technology = technology! };
    }

    private static CpuInfo ReadCpu(ref Utf8JsonReader reader)
    {
        var values = new double?[6];
        JsonMembers.Expect(ref reader, JsonTokenType.StartObject);
        uint seen = 0;
        while (JsonMembers.NextMember(ref reader, s_cpu, ref seen, out var member))
        {
            try
            {
                values[member] = member == 0 ? reader.GetDouble() : JsonMembers.NullableDouble(ref reader);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException)
            {
                throw JsonMembers.Wrong("cpu.", s_cpu[member], ex);
            }
        }

        JsonMembers.Required(seen, 0b1, s_cpu);
        return new CpuInfo
        {
            ProbePct = values[0]!.Value, WaitPct = values[1], StealPct = values[2], BusyPct = values[3], StalledPct = values[4], AppLimitedPct = values[5],
        };
    }

    private static RadioInfo ReadRadio(ref Utf8JsonReader reader)
    {
        string? technology = null, operatorCode = null, band = null, cellId = null;
        bool? changed = null;
        double? rsrp = null, rsrq = null, sinr = null;
        JsonMembers.Expect(ref reader, JsonTokenType.StartObject);
        uint seen = 0;
        while (JsonMembers.NextMember(ref reader, s_radio, ref seen, out var member))
        {
            try
            {
                ref var r = ref reader;
                switch (member)
                {
                    case 0: technology = r.GetString(); break;
                    case 1: changed = r.TokenType == JsonTokenType.Null ? null : r.GetBoolean(); break;
                    case 2: operatorCode = r.GetString(); break;
                    case 3: band = r.GetString(); break;
                    case 4: cellId = r.GetString(); break;
                    case 5: rsrp = JsonMembers.NullableDouble(ref r); break;
                    case 6: rsrq = JsonMembers.NullableDouble(ref r); break;
                    default: sinr = JsonMembers.NullableDouble(ref r); break;
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException)
            {
                throw JsonMembers.Wrong("radio.", s_radio[member], ex);
            }
        }

        JsonMembers.Required(seen, 0b1, s_radio);
        return new RadioInfo
        {
            AccessTechnology = technology!, Changed = changed, OperatorCode = operatorCode, Band = band, CellId = cellId, RsrpDbm = rsrp, RsrqDb = rsrq, SinrDb = sinr,
        };
    }
}
