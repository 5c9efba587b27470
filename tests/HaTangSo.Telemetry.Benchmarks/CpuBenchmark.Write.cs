using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Influx;
using HaTangSo.Telemetry.Server.Ingestion;

namespace HaTangSo.Telemetry.Benchmarks;

internal static partial class CpuBenchmark
{
    // The server's own batch body: the lines as UTF-8 in one pooled buffer; gzip as InfluxDbClient does it.
    private static int Body(List<PendingLine> lines, bool gzip)
    {
        var body = InfluxPointWriter.Encode(lines, out var length);
        try
        {
            if (!gzip)
            {
                return length;
            }

            using var output = new MemoryStream((length / 6) + 64);
            using (var zip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                zip.Write(body, 0, length);
            }

            return (int)output.Length;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(body);
        }
    }

    private static async Task WriteAsync(InfluxDbClient client, List<PendingLine> lines, CancellationToken ct)
    {
        var body = InfluxPointWriter.Encode(lines, out var length);
        try
        {
            await client.WriteAsync(body.AsMemory(0, length), WritePrecision.Nanoseconds, ct);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(body);
        }
    }

    private static ThrottledAdapterFactory AdapterFactory(IngestionQueue queue, MqttConnectionState connection) =>
        new(queue, TimeProvider.System, connection);

    // The pipeline's AcknowledgeAsync: the batch's PUBACKs in one write.
    private static Task AcknowledgeAsync(MqttConnectionState connection, List<ReceivedMessage> batch, CancellationToken ct) =>
        connection.Channel is { } channel ? channel.AcknowledgeAsync([.. batch.Select(m => m.PacketId)], ct) : Task.CompletedTask;

    // Socket reads and writes of the ingestion channel per result (main's channel read and wrote straight through:
    // MQTTnet's 2-byte header read, one read per further length byte and the body read, one write per PUBACK).
    private static string SocketCalls(MqttConnectionState connection, int count) => connection.Channel is ThrottledChannel channel
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"socket reads {channel.SocketReads:N0} ({(double)channel.SocketReads / count:0.000} a result), writes {channel.SocketWrites:N0} ({(double)channel.SocketWrites / count:0.000} a result)")
        : "no channel";
}
