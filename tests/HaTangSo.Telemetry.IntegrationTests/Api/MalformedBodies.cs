using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace HaTangSo.Telemetry.IntegrationTests.Api;

/// <summary>A request body no route can accept, and why.</summary>
public sealed record MalformedBody(string Kind, byte[] Bytes, string ContentType = "application/json")
{
    public override string ToString()
    {
        var text = Encoding.UTF8.GetString(Bytes);
        return $"{Kind} ({ContentType}, {Bytes.Length} bytes): {(text.Length > 300 ? text[..300] + "…" : text)}";
    }
}

/// <summary>
/// FsCheck generators of request bodies that are malformed by construction, for a route's body type: not JSON, the
/// wrong JSON kind at the top, nesting past the serializer's depth, the wrong content type, an empty body; and, for
/// the bodies the API knows, a valid body with one thing broken — a name with a backslash (no <c>NameRules</c> kind
/// allows one), a value of the wrong JSON kind, a null array element, an unknown property, an out-of-range number.
/// </summary>
public static class MalformedBodies
{
    // What a string may be built from: every line-protocol special, controls, a lone surrogate, Vietnamese.
    private static readonly string[] s_pieces =
        ["a", "Z", "0", " ", ",", "=", "\"", "\\", "\n", "\r", "\t", "\0", "\u202e", "\ud800", "ạ", "Đ", "/", "..", "{", "}", "[", "]", "'", "%"];

    private static readonly string[] s_numbers =
        ["0", "-0", "-1", "1e308", "-1e308", "1e400", "-1e400", "1e-400", "123456789012345678901234567890", "0.1", "1E+2", "2147483648", "-2147483649", "9.999999999999999e999"];

    /// <summary>Valid bodies of the types the API knows, to break one thing at a time.</summary>
    public static JsonNode? Seed(Type? bodyType) => bodyType?.Name switch
    {
        null => null,
        "ProbeRequest" => JsonNode.Parse("""
            {"communeCode":"18409","description":"UBND xã Tân Lộc","scheduleMinutes":15,"enabled":true,"links":[
             {"name":"fixed","access":"fixed","operator":"VNPT","technology":"ftth","advertisedDownloadMbps":150,"advertisedUploadMbps":150},
             {"name":"modem","access":"mobile","operator":"Viettel","technology":"4g"}]}
            """),
        "TargetDefinition" => Target(),
        _ when bodyType!.IsGenericType && bodyType.GetGenericArguments()[0].Name == "TargetDefinition" => new JsonArray(Target(), Target()),
        _ => null,
    };

    /// <summary>Bodies that <paramref name="route"/> must refuse with a 4xx.</summary>
    public static Gen<MalformedBody> For(WriteRoute route)
    {
        var seed = Seed(route.BodyType);
        var generic = new List<(int, Gen<MalformedBody>)>
        {
            (2, NotJson()),
            (3, WrongTopLevelKind(route.BodyIsList)),
            (1, Gen.Choose(80, 400).Select(depth => Body("nested " + depth, new string('[', depth) + new string(']', depth)))),
            (1, Gen.Elements("text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x")
                .Select(type => new MalformedBody("content type " + type, Encoding.UTF8.GetBytes(seed?.ToJsonString() ?? "{}"), type))),
            (1, Gen.Constant(new MalformedBody("empty", []))),
        };
        if (seed is not null)
        {
            generic.Add((8, Mutation(seed)));
        }

        return Gen.Frequency(generic.ToArray());
    }

    private static JsonObject Target() => (JsonObject)JsonNode.Parse("""
        {"provinceCode":"42","districtCode":null,"access":"mobile","technology":"5g","metric":"download","statistic":"median",
         "threshold":100,"validFrom":"2026-01-01","validTo":null,"source":"568/KH-UBND"}
        """)!;

    private static MalformedBody Body(string kind, string text) => new(kind, Encoding.UTF8.GetBytes(text));

    private static Gen<string> HostileString() =>
        Gen.ListOf(Gen.Elements(s_pieces)).Select(parts => string.Concat(parts));

    private static Gen<MalformedBody> NotJson() => Gen.OneOf(
        HostileString().Select(s => Body("not JSON", "x" + s)),
        Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)).Select(bytes => new MalformedBody("random bytes", [0xFF, .. bytes])),
        Gen.Elements("{", "[", "{\"links\":[", "{\"communeCode\":\"18409\"", "nul", "tru", "{'a':1}", "{\"a\":1,}x", "\ufeff\ufeff{}")
            .Select(text => Body("truncated or invalid JSON", text)));

    // A JSON value of the kind the route does not take at the top: the serializer refuses it whatever the type.
    private static Gen<MalformedBody> WrongTopLevelKind(bool takesList)
    {
        var scalar = Gen.OneOf(
            Gen.Elements(s_numbers),
            Gen.Elements("true", "false", "null"),
            HostileString().Select(s => JsonValue.Create(s).ToJsonString()));
        var container = takesList
            ? RandomJson(3).Select(value => $"{{\"items\":{value}}}")
            : Gen.NonEmptyListOf(RandomJson(2)).Select(values => "[" + string.Join(",", values) + "]");
        return Gen.OneOf(scalar, container).Select(text => Body("wrong top-level kind", text));
    }

    private static Gen<string> RandomJson(int depth)
    {
        var scalar = Gen.OneOf(
            Gen.Elements(s_numbers),
            Gen.Elements("true", "false", "null"),
            HostileString().Select(s => JsonValue.Create(s).ToJsonString()));
        if (depth == 0)
        {
            return scalar;
        }

        var array = Gen.ListOf(RandomJson(depth - 1)).Select(items => "[" + string.Join(",", items) + "]");
        var obj = Gen.ListOf(Gen.Zip(HostileString(), RandomJson(depth - 1)))
            .Select(pairs => "{" + string.Join(",", pairs.Select(p => JsonValue.Create(p.Item1).ToJsonString() + ":" + p.Item2)) + "}");
        return Gen.Frequency((3, scalar), (1, array), (1, obj));
    }

    // One thing broken in a valid body, at a path chosen at random.
    private static Gen<MalformedBody> Mutation(JsonNode seed)
    {
        var strings = Paths(seed).Where(p => p.Node is JsonValue v && v.TryGetValue<string>(out _)).Select(p => p.Path).ToArray();
        var scalars = Paths(seed).Where(p => p.Node is JsonValue).Select(p => p.Path).ToArray();
        var numbers = Paths(seed).Where(p => p.Node is JsonValue v && v.TryGetValue<double>(out _)).Select(p => p.Path).ToArray();
        var objects = Paths(seed).Where(p => p.Node is JsonObject).Select(p => p.Path).Distinct().ToArray();
        var arrays = Paths(seed).Where(p => p.Node is JsonArray { Count: > 0 }).Select(p => p.Path).ToArray();
        if (seed is JsonArray { Count: > 0 })
        {
            arrays = [.. arrays.Prepend(string.Empty)];
        }

        if (strings.Length == 0 || scalars.Length == 0 || numbers.Length == 0 || objects.Length == 0)
        {
            throw new InvalidOperationException("A seed body needs strings, numbers and objects to break.");
        }

        var mutations = new List<Gen<MalformedBody>>
        {
            // No NameRules kind allows a backslash; dates, access and statistics are not free text either.
            Gen.Zip(Gen.Elements(strings), Gen.Zip(HostileString(), Gen.Choose(0, 2))).Select(x =>
                Replace(seed, x.Item1, JsonValue.Create(x.Item2.Item2 switch { 0 => "\\" + x.Item2.Item1, 1 => x.Item2.Item1 + "\\", _ => "5g\\" + x.Item2.Item1 }), "backslash in " + x.Item1)),
            Gen.Zip(Gen.Elements(scalars), RandomJson(2).Where(j => j.StartsWith('[') || j.StartsWith('{'))).Select(x =>
                Replace(seed, x.Item1, JsonNode.Parse(x.Item2), "container for scalar " + x.Item1)),
            Gen.Zip(Gen.Elements(objects), HostileString()).Select(x =>
                Replace(seed, x.Item1 + (x.Item1.Length == 0 ? string.Empty : ".") + "unknownField" + x.Item2.Length, JsonValue.Create(x.Item2), "unknown property")),
            Gen.Zip(Gen.Elements(numbers), Gen.Elements("1e400", "-1e400", "1e300", "2147483648", "-5")).Select(x =>
                RawNumber(seed, x.Item1, x.Item2)),
        };
        if (arrays.Length > 0)
        {
            mutations.Add(Gen.Elements(arrays).Select(path => AppendNull(seed, path)));
        }

        return Gen.OneOf(mutations.ToArray());
    }

    private static IEnumerable<(string Path, JsonNode? Node)> Paths(JsonNode? node, string path = "")
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    var childPath = path.Length == 0 ? key : path + "." + key;
                    yield return (childPath, child);
                    foreach (var inner in Paths(child, childPath))
                    {
                        yield return inner;
                    }
                }

                yield return (path, obj);
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var childPath = $"{path}[{i}]";
                    yield return (childPath, array[i]);
                    foreach (var inner in Paths(array[i], childPath))
                    {
                        yield return inner;
                    }
                }

                break;
        }
    }

    private static MalformedBody Replace(JsonNode seed, string path, JsonNode? value, string kind)
    {
        var copy = seed.DeepClone();
        var (parent, last) = Parent(copy, path);
        if (last.StartsWith('['))
        {
            ((JsonArray)parent)[int.Parse(last[1..^1], CultureInfo.InvariantCulture)] = value;
        }
        else
        {
            ((JsonObject)parent)[last] = value;
        }

        return new MalformedBody(kind, Encoding.UTF8.GetBytes(copy.ToJsonString()));
    }

    // A number the JSON writer would not produce itself (1e400), put in as text.
    private static MalformedBody RawNumber(JsonNode seed, string path, string number)
    {
        const string Marker = "\"__number__\"";
        var body = Replace(seed, path, JsonValue.Create("__number__"), "number " + number + " at " + path);
        var text = Encoding.UTF8.GetString(body.Bytes).Replace(Marker, number, StringComparison.Ordinal);
        return body with { Bytes = Encoding.UTF8.GetBytes(text) };
    }

    private static MalformedBody AppendNull(JsonNode seed, string path)
    {
        var copy = seed.DeepClone();
        var array = path.Length == 0 ? (JsonArray)copy : (JsonArray)Find(copy, path)!;
        array.Add(null);
        return new MalformedBody("null element in " + (path.Length == 0 ? "the list" : path), Encoding.UTF8.GetBytes(copy.ToJsonString()));
    }

    private static (JsonNode Parent, string Last) Parent(JsonNode root, string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        if (cut <= 0)
        {
            return (root, path);
        }

        var last = path[cut] == '.' ? path[(cut + 1)..] : path[cut..];
        return (Find(root, path[..cut])!, last);
    }

    private static JsonNode? Find(JsonNode root, string path) =>
        Paths(root).First(p => p.Path == path).Node;
}
