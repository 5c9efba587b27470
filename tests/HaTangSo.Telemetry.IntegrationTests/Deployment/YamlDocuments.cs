using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace HaTangSo.Telemetry.IntegrationTests.Deployment;

/// <summary>Reads YAML (anchors and <c>&lt;&lt;</c> merge keys resolved, as Compose does) into plain dictionaries and lists.</summary>
internal static class YamlDocuments
{
    private static readonly IDeserializer s_deserializer = new DeserializerBuilder().Build();

    /// <summary>Every document of the file (Kubernetes manifests hold several, separated by <c>---</c>).</summary>
    public static List<Dictionary<object, object>> Load(string path)
    {
        using var reader = new StringReader(File.ReadAllText(path));
        var parser = new MergingParser(new Parser(reader));
        var documents = new List<Dictionary<object, object>>();
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        while (!parser.Accept<YamlDotNet.Core.Events.StreamEnd>(out _))
        {
            if (s_deserializer.Deserialize<Dictionary<object, object>?>(parser) is { } document)
            {
                documents.Add(document);
            }
        }

        return documents;
    }

    public static Dictionary<object, object> Map(this object? node, string key) =>
        node is Dictionary<object, object> map && map.TryGetValue(key, out var value) && value is Dictionary<object, object> child
            ? child
            : throw new Xunit.Sdk.XunitException($"no mapping '{key}'");

    public static Dictionary<object, object>? MapOrNull(this object? node, string key) =>
        node is Dictionary<object, object> map && map.TryGetValue(key, out var value) ? value as Dictionary<object, object> : null;

    public static List<object> List(this object? node, string key) =>
        node is Dictionary<object, object> map && map.TryGetValue(key, out var value) && value is List<object> list ? list : [];

    public static string? Text(this object? node, string key) =>
        node is Dictionary<object, object> map && map.TryGetValue(key, out var value) ? value?.ToString() : null;
}
