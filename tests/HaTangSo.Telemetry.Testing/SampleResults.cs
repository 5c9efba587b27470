using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// Valid <c>hts.result.v1</c> messages for tests and benchmarks, consistent with what <see cref="ServerProcess.RegisterProbeAsync"/>
/// registers: even sequences on link <c>fixed</c> (VNPT, FTTH, advertised 150/150 Mb/s), odd ones on <c>modem</c> (Viettel,
/// 4G), measured against <see cref="ServerId"/>; throughputs stay below 1.5 × the advertised speed.
/// </summary>
public static class SampleResults
{
    /// <summary>The speed-test server the samples name; test servers register it at start-up.</summary>
    public const string ServerId = "hts-speed-test-1";

    /// <summary>A valid result of <paramref name="probeId"/>, deterministic in <paramref name="sequence"/>.</summary>
    public static ResultMessage Create(string probeId, int sequence, DateTimeOffset startedAt, Guid? resultId = null)
    {
        var mobile = sequence % 2 == 1;
        return new ResultMessage
        {
            ResultId = (resultId ?? Guid.NewGuid()).ToString(),
            ProbeId = probeId,
            Link = new LinkInfo
            {
                Name = mobile ? "modem" : "fixed",
                Access = mobile ? AccessKind.Mobile : AccessKind.Fixed,
                Operator = mobile ? "Viettel" : "VNPT",
                Technology = mobile ? "4g" : "ftth",
            },
            Server = ServerId,
            StartedAt = startedAt,
            DurationMs = 30_000 + (sequence % 1000),
            Status = ResultStatus.Ok,
            DownloadMbps = 50 + (sequence % 150) + 0.25,
            UploadMbps = 20 + (sequence % 100) + 0.5,
            LatencyMs = 5 + (sequence % 40),
            JitterMs = 0.5 + (sequence % 7),
            LossPct = sequence % 3 == 0 ? 0 : 0.1,
            LoadedLatencyMs = 30 + (sequence % 90),
            AgentVersion = "0.1.0-test",
        };
    }

    /// <summary>The message as UTF-8 JSON.</summary>
    public static byte[] ToJson(ResultMessage message) =>
        JsonSerializer.SerializeToUtf8Bytes(message, ContractsJsonContext.Default.ResultMessage);

    /// <summary>The message as a mutable JSON tree (for building malformed variants).</summary>
    public static JsonObject ToNode(ResultMessage message) =>
        JsonNode.Parse(ToJson(message))!.AsObject();

    /// <summary>Formats a time as the contract's RFC 3339 UTC string.</summary>
    public static string Rfc3339(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>UTF-8 bytes of a string.</summary>
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
