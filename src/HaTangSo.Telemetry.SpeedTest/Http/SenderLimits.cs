using System.Buffers.Binary;
using System.Net.Sockets;

namespace HaTangSo.Telemetry.SpeedTest.Http;

/// <summary>
/// What held a download back, as the sending kernel counted it (<c>TCP_INFO</c>, Linux 4.10+): the time the connection
/// had data in flight (<c>tcpi_busy_time</c>), and within it the time it waited for the receiver's window
/// (<c>tcpi_rwnd_limited</c>: the probe did not read fast enough) or for send-buffer space
/// (<c>tcpi_sndbuf_limited</c>). The rest of the request's span the connection had nothing to send: this server did
/// not write in time. That is the one way a speed-test server, not the link or the probe, makes a probe read low.
/// </summary>
internal sealed class SenderLimits : IDisposable
{
    /// <summary>
    /// How often a reading is taken while the download runs: a slow link's whole test can sit in the send buffer, so
    /// the writes say nothing about its progress, and the socket may be gone when the client ends by closing it.
    /// </summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(250);

    private const int IpProtoTcp = 6;
    private const int TcpInfo = 11;
    private const int BusyTimeOffset = 168; // u64 µs, then rwnd_limited and sndbuf_limited
    private const int InfoBytes = BusyTimeOffset + 24;

    private readonly Socket _socket;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly Counters _first;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private Counters _last;
    private long _lastAt;

    private SenderLimits(Socket socket, TimeProvider time, Counters first)
    {
        _socket = socket;
        _time = time;
        _start = _lastAt = time.GetTimestamp();
        _first = _last = first;
        _timer = time.CreateTimer(_ => Sample(), null, SampleInterval, SampleInterval);
    }

    /// <summary>Starts watching <paramref name="socket"/>; null when the kernel does not report these counters.</summary>
    public static SenderLimits? Start(Socket? socket, TimeProvider time) =>
        socket is not null && Read(socket) is { } first ? new SenderLimits(socket, time, first) : null;

    /// <summary>Takes a reading now, if the socket is still open.</summary>
    public void Sample()
    {
        if (Read(_socket) is { } now)
        {
            lock (_gate)
            {
                (_last, _lastAt) = (now, _time.GetTimestamp());
            }
        }
    }

    /// <summary>The shares over the span from <see cref="Start"/> to the last reading.</summary>
    public SenderLimitShares Shares()
    {
        Counters last;
        long lastAt;
        lock (_gate)
        {
            (last, lastAt) = (_last, _lastAt);
        }

        var span = _time.GetElapsedTime(_start, lastAt);
        var micros = span.TotalMicroseconds;
        double Pct(long value) => micros <= 0 ? 0 : Math.Round(Math.Clamp(100 * value / micros, 0, 100), 1);
        return new SenderLimitShares(
            span,
            Pct((long)micros - (last.Busy - _first.Busy)),
            Pct(last.RwndLimited - _first.RwndLimited),
            Pct(last.SndbufLimited - _first.SndbufLimited));
    }

    public void Dispose() => _timer.Dispose();

    private static Counters? Read(Socket socket)
    {
        Span<byte> info = stackalloc byte[256];
        try
        {
            return socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info) < InfoBytes
                ? null
                : new Counters(
                    (long)BinaryPrimitives.ReadUInt64LittleEndian(info[BusyTimeOffset..]),
                    (long)BinaryPrimitives.ReadUInt64LittleEndian(info[(BusyTimeOffset + 8)..]),
                    (long)BinaryPrimitives.ReadUInt64LittleEndian(info[(BusyTimeOffset + 16)..]));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or PlatformNotSupportedException)
        {
            return null; // closed by the client, or not Linux
        }
    }

    private readonly record struct Counters(long Busy, long RwndLimited, long SndbufLimited);
}

/// <summary>A download's span and the shares of it, in %, that the server, the receiver's window or the send buffer held it back.</summary>
/// <param name="Span">From the first byte of the response to the last reading.</param>
/// <param name="ServerIdlePct">The connection had nothing to send: this server did not write in time.</param>
/// <param name="ReceiverWindowPct">The receiver's window was full: the client did not read in time.</param>
/// <param name="SendBufferPct">The send buffer was full (too small for the path).</param>
internal readonly record struct SenderLimitShares(TimeSpan Span, double ServerIdlePct, double ReceiverWindowPct, double SendBufferPct)
{
    /// <summary>The server held a download of at least 2 s back for at least a tenth of it.</summary>
    public bool ServerBound => Span >= TimeSpan.FromSeconds(2) && ServerIdlePct >= 10;
}
