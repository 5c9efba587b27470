using System.Net;
using System.Security.Cryptography;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// An upload body of <see cref="Length"/> bytes (as much as LibreSpeed's largest download, 1 GiB) that streams random
/// bytes until the test ends: one request per stream for the whole test at any rate below 1 Gb/s, so no
/// request/answer round trip interrupts the flow (unlike LibreSpeed's fixed-size uploads, which lose one round trip
/// per blob). The length is declared, not chunked, so the server knows how much is still to come and can read in
/// large steps (its receive low-water mark); the test ends by abandoning the request.
/// </summary>
internal sealed class UploadContent(ThroughputMeter meter, CancellationToken stop) : HttpContent
{
    /// <summary>The declared body length.</summary>
    public const long Length = (long)LibreSpeedPaths.MaxChunks * 1024 * 1024;

    private const int BlockBytes = 64 * 1024;
    private static readonly byte[] s_block = RandomNumberGenerator.GetBytes(BlockBytes);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, cancellationToken);
        for (var left = Length; left > 0 && !linked.IsCancellationRequested;)
        {
            var block = (int)Math.Min(BlockBytes, left);
            await stream.WriteAsync(s_block.AsMemory(0, block), linked.Token);
            meter.Add(block);
            left -= block;
        }

        linked.Token.ThrowIfCancellationRequested();
    }

    protected override bool TryComputeLength(out long length)
    {
        length = Length;
        return true;
    }
}
