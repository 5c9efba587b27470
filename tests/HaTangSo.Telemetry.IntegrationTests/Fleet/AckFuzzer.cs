using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Fleet;

/// <summary>One acknowledgement as the broker hands it to the server: the topic it came on and its bytes.</summary>
internal sealed record AckCase(string Topic, byte[] Payload)
{
    /// <summary>Readable in a failure report (the payload as text, cut).</summary>
    public override string ToString()
    {
        var text = Encoding.UTF8.GetString(Payload);
        return $"{Topic} {text[..Math.Min(text.Length, 600)]}";
    }
}

/// <summary>
/// FsCheck generators of <c>hts.ack.v1</c> acknowledgements: a valid one of the topic's probe (or of another probe, or
/// of none), naming one of its commands, another probe's, or none; then random characters (line-protocol specials,
/// control and format characters, lone surrogates, Vietnamese, emoji) at the start, middle or end of every string,
/// number edges and re-typed values in every property, JSON shape changes (missing, null, extra, duplicate, nested,
/// wrapped), and raw byte damage (flips, invalid UTF-8, a BOM, truncation).
/// </summary>
internal static class AckFuzzer
{
    /// <summary>The properties of an acknowledgement.</summary>
    public static readonly string[] Fields = ["schema", "commandId", "probeId", "state", "reason", "at"];

    private static readonly string[] s_pieces =
    [
        "\\", ",", "=", " ", "\"", "\n", "\r\n", "\t", "\0", "\u0001", "\u007f", "\u00a0", "\u200b", "\u202e", "\ufeff", "\uffff",
        "é", "ạ", "Đ", "Hà Tĩnh", "😀", "𝔘", "'", "{", "}", "[", "]", ":", "/", "+", "#", "0", "a", "Z", "-", "delivered", "done",
        "queued", "ht-xa-tan-loc-01", "00000000-0000-0000-0000-000000000000", "hts.ack.v1", "x,province=01 download_mbps=999",
    ];

    private static readonly string[] s_literals =
    [
        "0", "-0", "-1", "1e308", "-1e400", "1e400", "4.9e-324", "9223372036854775807", "NaN", "Infinity", "null", "true", "false",
        "[]", "{}", "\"\"", "\" \"", "01", ".5", "1e", "--1", "[\"delivered\"]", "{\"state\":\"done\"}",
    ];

    private static readonly string[] s_states = [CommandStates.Delivered, CommandStates.Delivered, CommandStates.Refused, CommandStates.Expired, CommandStates.Failed];

    private static readonly string[] s_otherStates = [CommandStates.Done, CommandStates.Queued, "", "Delivered", "delivered ", "published", "DONE"];

    private static readonly string[] s_times = ["2026-06-01T08:00:00Z", "2026-06-01T08:00:00+07:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999+14:00"];

    private static readonly string[] s_otherTimes = ["2026-13-01T00:00:00Z", "2026-06-01", "yesterday", "", "1780300800"];

    /// <summary>
    /// Acknowledgements on the topics of <paramref name="own"/> and <paramref name="other"/> (and of an unknown probe),
    /// naming the commands of either, <see cref="Guid.Empty"/> or a random id.
    /// </summary>
    public static Gen<AckCase> Cases(string own, string other, IReadOnlyList<Guid> ownCommands, IReadOnlyList<Guid> otherCommands)
    {
        var probes = Gen.Frequency((6, Gen.Constant(own)), (3, Gen.Constant(other)), (1, Gen.Constant("ht-nobody-01")));
        var topics = from probe in probes
                     from shape in Gen.Choose(0, 39)
                     select (probe, shape switch
                     {
                         0 => Topics.Results(probe),
                         1 => "hts/v1/probes//acks",
                         2 => $"hts/v1/probes/{probe}/x/acks",
                         3 => "acks",
                         _ => Topics.Acks(probe),
                     });
        var commands = Gen.Frequency<Guid>(
            (5, Gen.Elements<Guid>(ownCommands)), (4, Gen.Elements<Guid>(otherCommands)), (1, Gen.Constant(Guid.Empty)),
            (1, Gen.Choose(0, int.MaxValue).Select(n => new Guid(n, 11, 2, 0, 0, 0, 0, 0, 0, 0, 1))));
        var reasons = Gen.Frequency(
            (3, Gen.Constant<string?>(null)), (4, Text().Select(t => (string?)t)),
            (1, Gen.Choose(ResultLimits.MaxErrorString - 2, ResultLimits.MaxErrorString + 2).Select(n => (string?)new string('r', n))));
        var valid = from topic in topics
                    from samePayload in Gen.Choose(0, 9)
                    from payloadProbe in probes
                    from command in commands
                    from guidFormat in Gen.Frequency((12, Gen.Constant("D")), (1, Gen.Elements("N", "B", "P", "X")))
                    from state in Gen.Frequency((4, Gen.Elements(s_states)), (1, Gen.Elements(s_otherStates)))
                    from reason in reasons
                    from at in Gen.Frequency((6, Gen.Elements(s_times)), (1, Gen.Elements(s_otherTimes)))
                    select (topic.Item2, new JsonObject
                    {
                        ["schema"] = CommandAck.SchemaName,
                        ["commandId"] = command.ToString(guidFormat),
                        ["probeId"] = samePayload < 8 ? topic.probe : payloadProbe,
                        ["state"] = state,
                        ["reason"] = reason,
                        ["at"] = at,
                    });
        return from ack in valid
               from mutation in Mutations(Fields)
               select new AckCase(ack.Item1, mutation(ack.Item2));
    }

    /// <summary>
    /// Mutations of a valid document's <paramref name="fields"/> (a dotted name reaches into a nested object, e.g.
    /// <c>upgrade.state</c>), each turning it into bytes; about one in three leaves it as it is. Shared by the fuzz tests
    /// of every small probe document (acknowledgements, statuses).
    /// </summary>
    public static Gen<Func<JsonObject, byte[]>> Mutations(IReadOnlyList<string> fields)
    {
        var field = Gen.Elements(fields.ToArray());
        var none = Gen.Constant<Func<JsonObject, byte[]>>(Bytes);
        var text = from name in field
                   from piece in Text()
                   from position in Gen.Choose(0, 5)
                   from lone in Gen.Choose(0, 9)
                   select (Func<JsonObject, byte[]>)(node =>
                   {
                       var (parent, leaf) = Place(node, name);
                       var value = parent[leaf] is JsonValue v && v.TryGetValue<string>(out var s) ? s : string.Empty;
                       parent[leaf] = position switch
                       {
                           0 => piece + value,
                           1 => value + piece,
                           2 => value.Insert(value.Length / 2, piece),
                           3 => piece,
                           4 => value[..(value.Length / 3)],
                           _ => new string(value.Length == 0 ? 'x' : value[0], 5000),
                       };

                       // A lone surrogate cannot pass through a .NET string into JSON intact: its escape goes into the text.
                       var json = node.ToJsonString();
                       return Encoding.UTF8.GetBytes(lone == 0 ? json.Replace($"\"{leaf}\":\"", $"\"{leaf}\":\"\\udc00", StringComparison.Ordinal) : json);
                   });
        var literal = from name in field
                      from value in Gen.Elements(s_literals)
                      select (Func<JsonObject, byte[]>)(node =>
                      {
                          var (parent, leaf) = Place(node, name);
                          parent[leaf] = 424242.4242;
                          return Encoding.UTF8.GetBytes(node.ToJsonString().Replace("424242.4242", value, StringComparison.Ordinal));
                      });
        var shape = from name in field
                    from kind in Gen.Choose(0, 9)
                    from piece in Text()
                    from depth in Gen.Choose(10, 3000)
                    select (Func<JsonObject, byte[]>)(node =>
                    {
                        var json = node.ToJsonString();
                        var (parent, leaf) = Place(node, name);
                        switch (kind)
                        {
                            case 0:
                                parent.Remove(leaf);
                                break;
                            case 1:
                                parent[leaf] = null;
                                break;
                            case 2:
                                parent[leaf] = new JsonArray(1, "two", null);
                                break;
                            case 3:
                                parent[leaf] = new JsonObject { ["nested"] = piece };
                                break;
                            case 4:
                                node[piece] = piece;
                                break;
                            case 5:
                                // A duplicate property: the first, or the last, says "done" or names another probe.
                                return Encoding.UTF8.GetBytes(depth % 2 == 0
                                    ? json.Insert(1, $"\"{leaf}\":\"done\",")
                                    : json[..^1] + $",\"{leaf}\":\"ht-nobody-01\"}}");
                            case 6:
                                return Encoding.UTF8.GetBytes(new string('[', depth) + json + new string(']', depth));
                            case 7:
                                return Encoding.UTF8.GetBytes((depth % 3) switch { 0 => "[" + json + "]", 1 => "\"" + json.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"", _ => "null" });
                            case 8:
                                return depth % 2 == 0 ? [] : Encoding.UTF8.GetBytes(new string(' ', depth) + json + new string('\n', depth));
                            default:
                                node["schema"] = depth % 2 == 0 ? "hts.ack.v2" : "hts.result.v1"; // another schema, whatever the document
                                break;
                        }

                        return Bytes(node);
                    });
        var damage = from seed in Gen.Choose(0, int.MaxValue)
                     select (Func<JsonObject, byte[]>)(node => Damage(Bytes(node), new Random(seed)));
        return Gen.Frequency((5, none), (3, text), (2, literal), (3, shape), (1, damage));
    }

    // The object holding a (dotted) field and the field's own name; a missing parent object is made, so the field is added.
    private static (JsonObject Parent, string Leaf) Place(JsonObject node, string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return (node, name);
        }

        if (node[name[..dot]] is not JsonObject parent)
        {
            node[name[..dot]] = parent = new JsonObject();
        }

        return (parent, name[(dot + 1)..]);
    }

    private static byte[] Bytes(JsonObject node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    private static byte[] Damage(byte[] bytes, Random random) => MessageFuzzer.Damage(bytes, random);

    private static Gen<string> Text() =>
        Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(Gen.Elements(s_pieces), n)).Select(pieces => string.Concat(pieces));
}
