using System.IO.Compression;
using System.Text;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Ingestion;

namespace HaTangSo.Telemetry.Benchmarks;

internal static partial class CpuBenchmark
{
    // Main (0d9993a): InfluxPointWriter joins the lines into one string, InfluxDbClient encodes it and gzips it.
    private static byte[] Body(List<PendingLine> lines, bool gzip)
    {
        var builder = new StringBuilder(lines.Count * 300);
        foreach (var line in lines)
        {
            builder.Append(line.Line).Append('\n');
        }

        var body = Encoding.UTF8.GetBytes(builder.ToString());
        if (!gzip)
        {
            return body;
        }

        using var output = new MemoryStream(body.Length / 4 + 64);
        using (var zip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            zip.Write(body);
        }

        return output.ToArray();
    }

    private static Task WriteAsync(InfluxDbClient client, List<PendingLine> lines, CancellationToken ct)
    {
        var builder = new StringBuilder(lines.Count * 300);
        foreach (var line in lines)
        {
            builder.Append(line.Line).Append('\n');
        }

        return client.WriteAsync(builder.ToString(), WritePrecision.Nanoseconds, ct);
    }
}
