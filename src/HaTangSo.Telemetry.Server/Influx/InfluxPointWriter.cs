using System.Buffers;
using System.Text;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Ingestion;

namespace HaTangSo.Telemetry.Server.Influx;

/// <summary>
/// Writes a batch of points, retrying while InfluxDB is unavailable. When InfluxDB refuses the data itself
/// (400 — a partial write, a field-type conflict; 413 — too large) the batch is split in halves until the
/// offending lines stand alone; those are returned for the quarantine and the rest is written. Writing a
/// line twice is harmless: same series and timestamp, the point overwrites itself.
/// </summary>
internal sealed class InfluxPointWriter(InfluxDbClient client, DurableRetry retry)
{
    public async Task<IReadOnlyList<(PendingLine Line, string Reason)>> WriteAsync(
        IReadOnlyList<PendingLine> lines,
        CancellationToken cancellationToken)
    {
        var refused = new List<(PendingLine, string)>();
        if (lines.Count > 0)
        {
            await WriteRangeAsync(lines, refused, cancellationToken);
        }

        return refused;
    }

    private async Task WriteRangeAsync(IReadOnlyList<PendingLine> lines, List<(PendingLine, string)> refused, CancellationToken cancellationToken)
    {
        InfluxDbException? rejection = null;
        var body = Encode(lines, out var length);
        try
        {
            await retry.RunAsync(
                "InfluxDB",
                async ct =>
                {
                    rejection = null;
                    try
                    {
                        await client.WriteAsync(body.AsMemory(0, length), WritePrecision.Nanoseconds, ct);
                    }
                    catch (InfluxDbException ex) when (IsDataRejection(ex))
                    {
                        rejection = ex;
                    }
                },
                cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }

        if (rejection is null)
        {
            return;
        }

        if (lines.Count == 1)
        {
            refused.Add((lines[0], $"HTTP {rejection.StatusCode}: {rejection.Error}"));
            return;
        }

        var half = lines.Count / 2;
        await WriteRangeAsync([.. lines.Take(half)], refused, cancellationToken);
        await WriteRangeAsync([.. lines.Skip(half)], refused, cancellationToken);
    }

    // Authentication (401/403) or a missing database (404) is an operations problem, not bad data: those
    // are retried (DurableRetry) so nothing is quarantined for them.
    private static bool IsDataRejection(InfluxDbException ex) => ex.StatusCode is 400 or 413 or 422;

    // The batch as UTF-8 straight from the lines into one pooled buffer (no joined string, no second copy), encoded
    // once for every retry.
    internal static byte[] Encode(IReadOnlyList<PendingLine> lines, out int length)
    {
        var total = 0;
        foreach (var line in lines)
        {
            total += Encoding.UTF8.GetByteCount(line.Line) + 1;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        length = 0;
        foreach (var line in lines)
        {
            length += Encoding.UTF8.GetBytes(line.Line, buffer.AsSpan(length));
            buffer[length++] = (byte)'\n';
        }

        return buffer;
    }
}
