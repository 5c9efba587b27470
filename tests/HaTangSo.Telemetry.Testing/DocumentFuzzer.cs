using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// FsCheck mutations of a small JSON document a probe or the server sends (acknowledgements, statuses, commands):
/// random characters (line-protocol specials, control and format characters, lone surrogates, Vietnamese, emoji) at the
/// start, middle or end of a string, number edges and re-typed values, JSON shape changes (missing, null, extra,
/// duplicate, nested, wrapped, another schema), and raw byte damage (<see cref="MessageFuzzer.Damage"/>).
/// </summary>
public static class DocumentFuzzer
{
    private static readonly string[] s_pieces =
    [
        "\\", ",", "=", " ", "\"", "\n", "\r\n", "\t", "\0", "\u0001", "\u007f", "\u00a0", "\u200b", "\u202e", "\ufeff", "\uffff",
        "é", "ạ", "Đ", "Hà Tĩnh", "😀", "𝔘", "'", "{", "}", "[", "]", ":", "/", "+", "#", "0", "a", "Z", "-", "delivered", "done",
        "queued", "measure", "upgrade", "fixed", "mobile", "0.2.0", "ht-xa-tan-loc-01", "00000000-0000-0000-0000-000000000000", "hts.ack.v1", "x,province=01 download_mbps=999",
    ];

    private static readonly string[] s_literals =
    [
        "0", "-0", "-1", "1e308", "-1e400", "1e400", "4.9e-324", "9223372036854775807", "NaN", "Infinity", "null", "true", "false",
        "[]", "{}", "\"\"", "\" \"", "01", ".5", "1e", "--1", "[\"delivered\"]", "{\"state\":\"done\"}",
    ];

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
                                node["schema"] = depth % 2 == 0 ? "hts.ack.v2" : "hts.result.v1"; // another schema, whatever the document (never its own)
                                break;
                        }

                        return Bytes(node);
                    });
        var damage = from seed in Gen.Choose(0, int.MaxValue)
                     select (Func<JsonObject, byte[]>)(node => MessageFuzzer.Damage(Bytes(node), new Random(seed)));
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

    /// <summary>One to four pieces of hostile or unusual text, concatenated.</summary>
    public static Gen<string> Text() =>
        Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(Gen.Elements(s_pieces), n)).Select(pieces => string.Concat(pieces));
}
