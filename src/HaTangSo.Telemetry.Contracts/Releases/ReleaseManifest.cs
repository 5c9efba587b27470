using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace HaTangSo.Telemetry.Contracts.Releases;

/// <summary>
/// A signed description of one probe binary (<c>hts.probe-release.v1</c>). The signature covers the manifest's exact
/// bytes as served (a detached signature file beside it), so there is no canonical form to agree on: the verifier checks
/// the bytes it received, then parses them. The binary's location is not in the manifest: it sits beside it.
/// </summary>
/// <param name="Version">The release's version (SemVer, no build metadata).</param>
/// <param name="Architecture">The machine the binary runs on.</param>
/// <param name="Sha256">SHA-256 of the binary, 64 lower-case hexadecimal digits.</param>
/// <param name="Size">The binary's exact size in bytes; the download stops beyond it.</param>
/// <param name="CreatedAt">When the release was signed (UTC).</param>
public sealed record ReleaseManifest(ReleaseVersion Version, ProbeArchitecture Architecture, string Sha256, long Size, DateTimeOffset CreatedAt)
{
    /// <summary>The <c>schema</c> value.</summary>
    public const string Schema = "hts.probe-release.v1";

    /// <summary>The <c>product</c> value: a manifest for something else is refused.</summary>
    public const string Product = "hts-probe";

    /// <summary>The manifest file's name.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The detached signature's file name.</summary>
    public const string SignatureFileName = "manifest.json.sig";

    /// <summary>The binary's file name.</summary>
    public const string BinaryFileName = "hts-probe";

    /// <summary>The largest manifest read (bytes); a real one is about 250.</summary>
    public const int MaxManifestBytes = 4096;

    /// <summary>The largest binary accepted (256 MiB; the Native AOT probe is about 20 MB).</summary>
    public const long MaxBinaryBytes = 256L << 20;

    /// <summary>The manifest's bytes: UTF-8 JSON written field by field in a fixed order (these are the bytes signed).</summary>
    public byte[] ToJsonBytes()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("schema", Schema);
            writer.WriteString("product", Product);
            writer.WriteString("version", Version.Text);
            writer.WriteString("architecture", Architecture.Name());
            writer.WriteString("sha256", Sha256);
            writer.WriteNumber("size", Size);
            writer.WriteString("createdAt", CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
