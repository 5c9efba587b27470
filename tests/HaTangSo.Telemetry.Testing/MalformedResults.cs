using System.Text;
using System.Text.Json.Nodes;

namespace HaTangSo.Telemetry.Testing;

/// <summary>One message the server must refuse, with a fragment of the reason it must give.</summary>
/// <param name="Name">What is wrong.</param>
/// <param name="TopicProbeId">The probe id in the topic the message is published on.</param>
/// <param name="Payload">The raw bytes.</param>
/// <param name="ReasonContains">A fragment the quarantine reason must contain.</param>
public sealed record MalformedResult(string Name, string TopicProbeId, byte[] Payload, string ReasonContains)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>The corpus of malformed results: every one must land in quarantine with a reason.</summary>
public static class MalformedResults
{
    /// <summary>Builds the corpus for a registered probe <paramref name="probeId"/> at time <paramref name="now"/>.</summary>
    public static IReadOnlyList<MalformedResult> Create(string probeId, string unregisteredProbeId, DateTimeOffset now)
    {
        var list = new List<MalformedResult>();
        var valid = SampleResults.Create(probeId, 0, now.AddMinutes(-5), Guid.NewGuid());
        byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);
        void Raw(string name, string json, string reason) => list.Add(new(name, probeId, Bytes(json), reason));
        void Mutate(string name, Action<JsonObject> change, string reason, string? topicProbeId = null)
        {
            var node = SampleResults.ToNode(valid with { ResultId = Guid.NewGuid().ToString() });
            change(node);
            list.Add(new(name, topicProbeId ?? probeId, Bytes(node.ToJsonString()), reason));
        }

        var validJson = Encoding.UTF8.GetString(SampleResults.ToJson(valid));
        Raw("truncated JSON", validJson[..(validJson.Length / 2)], "invalid JSON");
        Raw("empty payload", "", "invalid JSON");
        Raw("plain text", "download 100 Mbps", "invalid JSON");
        Raw("JSON array", "[1,2,3]", "invalid JSON");
        Raw("JSON null", "null", "null");
        Raw("JSON string", "\"hts.result.v1\"", "invalid JSON");
        Raw("NaN literal", validJson.Replace("\"downloadMbps\":50.25", "\"downloadMbps\":NaN", StringComparison.Ordinal), "invalid JSON");
        Raw("Infinity literal", validJson.Replace("\"uploadMbps\":20.5", "\"uploadMbps\":Infinity", StringComparison.Ordinal), "invalid JSON");
        Raw("number overflow 1e400", validJson.Replace("\"downloadMbps\":50.25", "\"downloadMbps\":1e400", StringComparison.Ordinal), "downloadMbps");
        Raw("duplicate property", validJson.Replace("\"downloadMbps\":50.25", "\"downloadMbps\":50.25,\"downloadMbps\":5000", StringComparison.Ordinal), "invalid JSON");
        Raw("byte order mark", "\uFEFF" + validJson, "invalid JSON");
        Mutate("missing resultId", n => n.Remove("resultId"), "invalid JSON");
        Mutate("resultId not a UUID", n => n["resultId"] = "result-42", "resultId");
        Mutate("resultId with a leading space", n => n["resultId"] = " " + Guid.NewGuid(), "resultId");
        Mutate("missing probeId", n => n.Remove("probeId"), "invalid JSON");
        Mutate("probe id differs from topic", n => n["probeId"] = "someone-else", "differs");
        Mutate("unknown probe", n => n["probeId"] = unregisteredProbeId, "not in the registry", unregisteredProbeId);
        Mutate("wrong schema", n => n["schema"] = "hts.result.v2", "schema");
        Mutate("downloadMbps as string", n => n["downloadMbps"] = "100", "invalid JSON");
        Mutate("uploadMbps as boolean", n => n["uploadMbps"] = true, "invalid JSON");
        Mutate("NaN as string", n => n["latencyMs"] = "NaN", "invalid JSON");
        Mutate("negative download", n => n["downloadMbps"] = -5.0, "downloadMbps is negative");
        Mutate("absurd download", n => n["downloadMbps"] = 10_000_000.0, "downloadMbps exceeds");
        Mutate("negative latency", n => n["latencyMs"] = -1.0, "latencyMs is negative");
        Mutate("loss over 100 percent", n => n["lossPct"] = 150.0, "lossPct exceeds");
        Mutate("absurd jitter", n => n["jitterMs"] = 1e9, "jitterMs exceeds");
        Mutate("negative duration", n => n["durationMs"] = -10.0, "durationMs is negative");
        Mutate("startedAt a day in the future", n => n["startedAt"] = SampleResults.Rfc3339(now.AddDays(1)), "in the future");
        Mutate("startedAt two years old", n => n["startedAt"] = SampleResults.Rfc3339(now.AddYears(-2)), "older than");
        Mutate("startedAt not a date", n => n["startedAt"] = "yesterday", "invalid JSON");
        Mutate("unknown status", n => n["status"] = "great", "status");
        Mutate("unknown access", n => n["link"]!["access"] = "satellite", "link.access");
        Mutate("missing link", n => n.Remove("link"), "invalid JSON");
        Mutate("link as string", n => n["link"] = "fixed", "invalid JSON");
        Mutate("line-protocol injection in operator", n => n["link"]!["operator"] = "VNPT\nspeedtest,probe=evil download_mbps=99999", "link.operator");
        Mutate("control character in server", n => n["server"] = "srv\u0001", "server");
        Mutate("empty operator", n => n["link"]!["operator"] = "", "link.operator");
        Mutate("missing agentVersion", n => n.Remove("agentVersion"), "invalid JSON");
        Mutate("error text too long", n => n["error"] = new string('x', 2000), "error must be");
        Mutate("ok without download", n => n["downloadMbps"] = null, "downloadMbps is null");
        Mutate("backslash at the end of the link name", n => n["link"]!["name"] = "fixed\\", "link.name");
        Mutate("backslash before a space in the operator", n => n["link"]!["operator"] = "VNPT\\ x", "link.operator");
        Mutate("backslash before a comma in the technology", n => n["link"]!["technology"] = "ftth\\,x", "link.technology");
        Mutate("backslash before an equals sign in the server", n => n["server"] = "dc\\=1", "server");
        Mutate("operator injection string", n => n["link"]!["operator"] = "VNPT,province=01 download_mbps=999", "link.operator");
        Mutate("bidi override in the agent version", n => n["agentVersion"] = "1.0\u202e", "agentVersion");
        Mutate("newline in the error", n => n["error"] = "line one\nline two", "error");
        Mutate("oversized payload", n => n["padding"] = new string('p', 20_000), "exceeds the limit");

        // Invalid UTF-8: a lone continuation byte inside the operator string.
        var bytes = Encoding.UTF8.GetBytes(validJson.Replace("\"operator\":\"VNPT\"", "\"operator\":\"VN#T\"", StringComparison.Ordinal));
        bytes[Array.IndexOf(bytes, (byte)'#')] = 0x80;
        list.Add(new("invalid UTF-8", probeId, bytes, "UTF-8"));
        return list;
    }
}
