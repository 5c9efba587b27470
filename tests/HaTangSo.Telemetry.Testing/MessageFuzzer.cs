using System.Text;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// Seeded random mutations of valid messages, for property-based tests of ingestion: random characters (line-protocol
/// specials, control and format characters, lone surrogates, Vietnamese, emoji) at the start, middle or end of every
/// string, number edges in every number and flag, JSON shape changes (missing, extra, duplicate and re-typed properties, deep
/// nesting), and raw byte damage (flips, invalid UTF-8, truncation). The same seed gives the same messages.
/// </summary>
public sealed class MessageFuzzer(int seed)
{
    /// <summary>The string properties of a result (paths into the JSON object).</summary>
    public static readonly string[] StringFields =
        ["schema", "resultId", "probeId", "link.name", "link.access", "link.operator", "link.technology", "server", "startedAt", "status", "agentVersion", "error"];

    /// <summary>The number properties of a result.</summary>
    public static readonly string[] NumberFields = ["durationMs", "downloadMbps", "uploadMbps", "latencyMs", "jitterMs", "lossPct", "loadedLatencyMs"];

    /// <summary>
    /// The optional string properties of contract v1 (a mutation adds <c>commandId</c> when absent; a nested one is mutated
    /// when its block is there): the command a result answers and the modem's radio facts.
    /// </summary>
    public static readonly string[] OptionalStringFields = ["commandId", "radio.accessTechnology", "radio.operatorCode", "radio.band", "radio.cellId"];

    /// <summary>The optional number and boolean properties of contract v1: the CPU report, the radio's levels, the flags.</summary>
    public static readonly string[] OptionalValueFields =
    [
        "cpuBound", "cpu.probePct", "cpu.waitPct", "cpu.stealPct", "cpu.busyPct", "cpu.stalledPct", "cpu.appLimitedPct",
        "radio.changed", "radio.rsrpDbm", "radio.rsrqDb", "radio.sinrDb",
    ];

    /// <summary>Every property the mutations reach: required and optional, scalars and the blocks that hold them.</summary>
    public static readonly string[] AllFields = [.. StringFields, .. NumberFields, .. OptionalStringFields, .. OptionalValueFields, "link", "cpu", "radio"];

    private static readonly string[] s_mutableStrings = [.. StringFields, .. OptionalStringFields];

    private static readonly string[] s_mutableValues = [.. NumberFields, .. OptionalValueFields];

    private const string Specials = "\\,= \"\n\r\t";

    private static readonly string[] s_pieces =
    [
        "\\", ",", "=", " ", "\"", "\n", "\r\n", "\t", "\0", "\u0001", "\u007f", "\u00a0", "\u200b", "\u202e", "\ufeff", "\uffff",
        "é", "ạ", "Đ", "Hà Tĩnh", "😀", "𝔘", "'", "`", "$", "{", "}", "[", "]", ":", "/", "#", "%", "&", "<", ">", "|", "?", "*", "+",
        "-", ".", "_", "~", "^", "@", "!", "(", ")", ";", "0", "9", "a", "Z", "VNPT", "fixed", "=HYPERLINK(\"x\")", "\\ ", "\\,", "\\=",
        "x,province=01 download_mbps=999", "\nspeedtest,probe=evil download_mbps=1 0",
    ];

    private static readonly string[] s_numberLiterals =
    [
        "0", "-0", "-0.0", "-1", "1e-320", "4.9e-324", "1e308", "1.7976931348623157e308", "-1.7976931348623157e308", "100000",
        "100000.0000001", "99999.999", "225", "225.0000001", "1000", "1000.5", "9223372036854775807", "9007199254740993", "1e400",
        "-1e400", "NaN", "Infinity", "-Infinity", "\"NaN\"", "\"100\"", "null", "true", "false", "[]", "{}", "0x10", "01", "1.", ".5",
        "+1", "1e", "--1", "3600000", "3600001", "60000.0001", "100.0001",
    ];

    private readonly Random _random = new(seed);

    /// <summary>One mutation (sometimes several) of <paramref name="valid"/>, a valid message as JSON.</summary>
    public byte[] Mutate(ResultMessage valid)
    {
        var json = Encoding.UTF8.GetString(SampleResults.ToJson(valid));
        var rounds = 1 + (_random.Next(4) == 0 ? _random.Next(1, 3) : 0);
        for (var i = 0; i < rounds; i++)
        {
            try
            {
                json = _random.Next(10) switch
                {
                    < 4 => MutateString(json),
                    < 6 => MutateNumber(json),
                    < 8 => MutateShape(json),
                    _ => json,
                };
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.Text.Json.JsonException)
            {
                // The previous round already broke the JSON (or made text .NET cannot write as JSON): keep it as it is.
            }
        }

        var bytes = Encoding.UTF8.GetBytes(json);
        return _random.Next(8) == 0 ? MutateBytes(bytes) : bytes;
    }

    /// <summary>
    /// Every line-protocol special character (backslash, comma, equals, space, double quote, newline) at the start, middle
    /// and end of every string property of <paramref name="valid"/>: one message per combination.
    /// </summary>
    public static IEnumerable<(string Name, byte[] Payload)> SpecialCharacters(Func<ResultMessage> valid)
    {
        foreach (var field in StringFields)
        {
            foreach (var special in new[] { "\\", ",", "=", " ", "\"", "\n" })
            {
                foreach (var position in new[] { "start", "middle", "end" })
                {
                    var node = SampleResults.ToNode(valid() with { Error = "measured" });
                    var value = Get(node, field)!;
                    var at = position switch { "start" => 0, "end" => value.Length, _ => value.Length / 2 };
                    Set(node, field, value.Insert(at, special));
                    yield return ($"{field} {Printable(special)} at the {position}", Encoding.UTF8.GetBytes(node.ToJsonString()));
                }
            }
        }
    }

    private static string Printable(string special) => special switch { "\n" => "newline", " " => "space", _ => special };

    private string MutateString(string json)
    {
        if (JsonNode.Parse(json) is not JsonObject node)
        {
            return json;
        }

        var field = s_mutableStrings[_random.Next(s_mutableStrings.Length)];
        var value = Get(node, field) ?? string.Empty;
        var piece = RandomText();
        var changed = _random.Next(6) switch
        {
            0 => piece + value,
            1 => value + piece,
            2 => value.Insert(value.Length == 0 ? 0 : _random.Next(value.Length), piece),
            3 => piece,
            4 => value.Length == 0 ? value : value[.._random.Next(value.Length)],
            _ => new string(value.Length == 0 ? 'x' : value[0], _random.Next(1, 3000)),
        };
        Set(node, field, changed);
        var text = node.ToJsonString();

        // A lone surrogate cannot pass through a .NET string into JSON intact: write its escape straight into the text.
        return _random.Next(20) == 0 ? text.Replace(":\"", ":\"\\ud800", StringComparison.Ordinal) : text;
    }

    private string MutateNumber(string json)
    {
        var field = s_mutableValues[_random.Next(s_mutableValues.Length)];
        if (JsonNode.Parse(json) is not JsonObject node)
        {
            return json;
        }

        // A nested field whose block is absent stays absent (the literal then replaces nothing).
        SetNode(node, field, JsonValue.Create(424242.4242));
        var literal = s_numberLiterals[_random.Next(s_numberLiterals.Length)];
        return node.ToJsonString().Replace("424242.4242", literal, StringComparison.Ordinal);
    }

    private string MutateShape(string json)
    {
        if (JsonNode.Parse(json) is not JsonObject node)
        {
            return json;
        }

        var field = AllFields[_random.Next(AllFields.Length)];
        switch (_random.Next(9))
        {
            case 0:
                Remove(node, field);
                break;
            case 1:
                Set(node, field, null);
                break;
            case 2:
                SetNode(node, field, new JsonArray(1, "two", null));
                break;
            case 3:
                SetNode(node, field, new JsonObject { ["nested"] = RandomText() });
                break;
            case 4:
                SetNode(node, field, JsonValue.Create(_random.Next(2) == 0));
                break;
            case 5:
                node[RandomText()] = RandomText();
                break;
            case 6:
                // A duplicate property (System.Text.Json keeps the last by default; the contract refuses duplicates).
                var text = node.ToJsonString();
                return text.Insert(1, $"\"{field.Split('.')[^1]}\":\"dup\",");
            case 7:
                var depth = _random.Next(10, 2000);
                return new string('[', depth) + json + new string(']', depth);
            default:
                return _random.Next(3) switch { 0 => "[" + json + "]", 1 => "\"" + json.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"", _ => "null" };
        }

        return node.ToJsonString();
    }

    private byte[] MutateBytes(byte[] bytes) => Damage(bytes, _random);

    /// <summary>
    /// One to five byte-level damages of <paramref name="bytes"/>: a random byte, an inserted high byte (broken UTF-8), the
    /// tail cut off, or a byte-order mark inserted. Shared by every fuzzer of probe messages.
    /// </summary>
    public static byte[] Damage(byte[] bytes, Random random)
    {
        var copy = bytes.ToList();
        var count = random.Next(1, 6);
        for (var i = 0; i < count && copy.Count > 0; i++)
        {
            var at = random.Next(copy.Count);
            switch (random.Next(4))
            {
                case 0:
                    copy[at] = (byte)random.Next(256);
                    break;
                case 1:
                    copy.Insert(at, (byte)random.Next(0x80, 0x100));
                    break;
                case 2:
                    copy.RemoveRange(at, copy.Count - at);
                    break;
                default:
                    copy.InsertRange(at, [0xEF, 0xBB, 0xBF]);
                    break;
            }
        }

        return [.. copy];
    }

    private string RandomText()
    {
        var builder = new StringBuilder();
        var pieces = _random.Next(1, 5);
        for (var i = 0; i < pieces; i++)
        {
            builder.Append(_random.Next(3) == 0
                ? Specials[_random.Next(Specials.Length)].ToString()
                : s_pieces[_random.Next(s_pieces.Length)]);
        }

        return builder.ToString();
    }

    private static string? Get(JsonObject node, string path)
    {
        var (parent, name) = Parent(node, path);
        return parent?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : parent?[name]?.ToJsonString();
    }

    private static void Set(JsonObject node, string path, string? value) => SetNode(node, path, value is null ? null : JsonValue.Create(value));

    private static void SetNode(JsonObject node, string path, JsonNode? value)
    {
        var (parent, name) = Parent(node, path);
        if (parent is not null)
        {
            parent[name] = value;
        }
    }

    private static void Remove(JsonObject node, string path)
    {
        var (parent, name) = Parent(node, path);
        parent?.Remove(name);
    }

    private static (JsonObject? Parent, string Name) Parent(JsonObject node, string path)
    {
        var dot = path.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? (node, path) : (node[path[..dot]] as JsonObject, path[(dot + 1)..]);
    }
}
