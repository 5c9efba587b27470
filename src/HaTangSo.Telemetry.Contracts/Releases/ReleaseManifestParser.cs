using System.Globalization;
using System.Text.Json;

namespace HaTangSo.Telemetry.Contracts.Releases;

/// <summary>Why a manifest's bytes were refused.</summary>
public enum ManifestRefusal
{
    /// <summary>Empty or larger than <see cref="ReleaseManifest.MaxManifestBytes"/>.</summary>
    Size,

    /// <summary>Not a single JSON object in UTF-8 (or a key appears twice).</summary>
    NotJson,

    /// <summary>A field is missing, has the wrong type, or an unknown field is present.</summary>
    Shape,

    /// <summary><c>schema</c> or <c>product</c> is not this contract's.</summary>
    Schema,

    /// <summary><c>version</c> is not a SemVer version without build metadata.</summary>
    Version,

    /// <summary><c>architecture</c> is not on the allow-list.</summary>
    Architecture,

    /// <summary><c>sha256</c> is not 64 lower-case hexadecimal digits.</summary>
    Hash,

    /// <summary><c>size</c> is not 1 to <see cref="ReleaseManifest.MaxBinaryBytes"/>.</summary>
    BinarySize,

    /// <summary><c>createdAt</c> is not an RFC 3339 UTC time (<c>...Z</c>).</summary>
    CreatedAt,
}

/// <summary>The outcome of parsing: a manifest, or a refusal with its reason and the field at fault.</summary>
public sealed record ManifestParseResult(ReleaseManifest? Manifest, ManifestRefusal? Refusal, string Detail)
{
    /// <summary>Whether the bytes were a valid manifest.</summary>
    public bool IsValid => Manifest is not null;
}

/// <summary>Parses manifest bytes strictly: every field required, no unknown or repeated field, every value checked.</summary>
public static class ReleaseManifestParser
{
    private static readonly string[] s_fields = ["schema", "product", "version", "architecture", "sha256", "size", "createdAt"];

    /// <summary>Parses <paramref name="bytes"/>; never throws on hostile input.</summary>
    public static ManifestParseResult Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length is 0 or > ReleaseManifest.MaxManifestBytes)
        {
            return Refuse(ManifestRefusal.Size, $"the manifest has {bytes.Length} bytes (1 to {ReleaseManifest.MaxManifestBytes})");
        }

        // JsonDocument checks UTF-8 only when a string is read; check it all first, so a bad byte is NotJson, not an exception.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return Refuse(ManifestRefusal.NotJson, "the manifest is not valid UTF-8");
        }

        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        try
        {
            // .NET 10: a repeated key is an error, so two readers can never see different values for one field.
            using var document = JsonDocument.Parse(bytes.ToArray(), new JsonDocumentOptions { MaxDepth = 2, AllowDuplicateProperties = false });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Refuse(ManifestRefusal.Shape, "the manifest is not a JSON object");
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!s_fields.Contains(property.Name, StringComparer.Ordinal))
                {
                    return Refuse(ManifestRefusal.Shape, "unknown field (the manifest allows " + string.Join(", ", s_fields) + ")");
                }

                values[property.Name] = property.Value.Clone();
            }
        }
        catch (JsonException ex)
        {
            return Refuse(ManifestRefusal.NotJson, "not a JSON object in UTF-8: " + ex.Message);
        }
        catch (ArgumentException ex)
        {
            // Invalid UTF-8 can surface as an ArgumentException from the transcoder.
            return Refuse(ManifestRefusal.NotJson, "not UTF-8: " + ex.Message);
        }

        foreach (var field in s_fields)
        {
            var expected = field == "size" ? JsonValueKind.Number : JsonValueKind.String;
            if (!values.TryGetValue(field, out var value) || value.ValueKind != expected)
            {
                return Refuse(ManifestRefusal.Shape, $"{field}: required, a JSON {(expected == JsonValueKind.Number ? "number" : "string")}");
            }
        }

        if (values["schema"].GetString() != ReleaseManifest.Schema || values["product"].GetString() != ReleaseManifest.Product)
        {
            return Refuse(ManifestRefusal.Schema, $"schema/product: must be \"{ReleaseManifest.Schema}\" / \"{ReleaseManifest.Product}\"");
        }

        if (!ReleaseVersion.TryParse(values["version"].GetString(), allowBuildMetadata: false, out var version))
        {
            return Refuse(ManifestRefusal.Version, "version: must be a Semantic Version without build metadata (1.4.0, 1.4.0-rc.1)");
        }

        if (!ProbeArchitectures.TryParse(values["architecture"].GetString(), out var architecture))
        {
            return Refuse(ManifestRefusal.Architecture, "architecture: must be one of " + string.Join(", ", ProbeArchitectures.All.Select(a => a.Name())));
        }

        var sha = values["sha256"].GetString()!;
        if (sha.Length != 64 || !sha.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            return Refuse(ManifestRefusal.Hash, "sha256: must be 64 lower-case hexadecimal digits");
        }

        if (!values["size"].TryGetInt64(out var size) || size is < 1 or > ReleaseManifest.MaxBinaryBytes)
        {
            return Refuse(ManifestRefusal.BinarySize, $"size: must be a whole number of bytes, 1 to {ReleaseManifest.MaxBinaryBytes}");
        }

        if (!DateTimeOffset.TryParseExact(values["createdAt"].GetString(), "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var createdAt))
        {
            return Refuse(ManifestRefusal.CreatedAt, "createdAt: must be an RFC 3339 UTC time to the second (2026-11-30T09:00:00Z)");
        }

        return new ManifestParseResult(new ReleaseManifest(version!, architecture, sha, size, createdAt), null, "valid");
    }

    private static ManifestParseResult Refuse(ManifestRefusal refusal, string detail) => new(null, refusal, detail);
}
