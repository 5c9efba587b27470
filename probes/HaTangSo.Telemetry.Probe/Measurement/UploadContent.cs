using System.Net;
using System.Security.Cryptography;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// An upload body without a length (chunked) that streams random bytes until the test ends: one request per
/// stream for the whole test, so no request/answer round trip interrupts the flow (unlike LibreSpeed's
/// fixed-size uploads, which lose one round trip per blob).
/// </summary>
internal sealed class UploadContent(ThroughputMeter meter, CancellationToken stop) : HttpContent
{
    private const int BlockBytes = 64 * 1024;
    private static readonly byte[] s_block = RandomNumberGenerator.GetBytes(BlockBytes);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, cancellationToken);
        while (!linked.IsCancellationRequested)
        {
            await stream.WriteAsync(s_block, linked.Token);
            meter.Add(BlockBytes);
        }

        linked.Token.ThrowIfCancellationRequested();
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
