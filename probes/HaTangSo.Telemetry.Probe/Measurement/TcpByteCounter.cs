using System.Buffers.Binary;
using System.Net.Sockets;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// Bytes that crossed the link on a set of TCP connections, as the kernel counted them (Linux's <c>TCP_INFO</c>,
/// 4.1+): <c>tcpi_bytes_acked</c> for uploads, <c>tcpi_bytes_received</c> for downloads.
/// <para>
/// An upload counted as bytes handed to the socket overstates a slow link: megabytes sit in the send buffer at the
/// end of the test (+11 % over iperf3 on a 2 Mb/s, 150 ms line before this). A download counted as bytes the
/// program has read understates a link whenever the program is slow to be scheduled: the bytes are on the box but
/// the count moves late, and the sample windows no longer match the link's (the probe read −10 % under CPU load on
/// a 100 Mb/s line). The kernel counts on arrival, whatever the program is doing.
/// </para>
/// </summary>
internal sealed class TcpByteCounter(TransferDirection direction)
{
    private const int IpProtoTcp = 6;
    private const int TcpInfo = 11;
    private const int BytesAckedOffset = 120;
    private const int BytesReceivedOffset = 128;
    private const int BusyTimeOffset = 168;
    private readonly Dictionary<Socket, long> _sockets = [];
    private readonly int _offset = direction == TransferDirection.Upload ? BytesAckedOffset : BytesReceivedOffset;

    /// <summary>False where TCP_INFO cannot be read (not Linux): the caller counts bytes itself instead.</summary>
    public static bool Supported { get; } = OperatingSystem.IsLinux();

    /// <summary>Adds a connection of the transfer.</summary>
    public void Track(Socket socket)
    {
        lock (_sockets)
        {
            _sockets[socket] = 0;
        }
    }

    /// <summary>
    /// Uploads: the time the connections had something to send since they opened (<c>tcpi_busy_time</c>, µs, summed;
    /// Linux 4.10+) — the rest of the time they waited for the program to write.
    /// </summary>
    public TcpPressure Pressure()
    {
        Span<byte> info = stackalloc byte[256];
        long busy = 0;
        lock (_sockets)
        {
            foreach (var socket in _sockets.Keys)
            {
                try
                {
                    if (socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info) >= BusyTimeOffset + 8)
                    {
                        busy += (long)BinaryPrimitives.ReadUInt64LittleEndian(info[BusyTimeOffset..]);
                    }
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
                {
                    // Closed: it holds nothing back any more.
                }
            }

            return new TcpPressure(_sockets.Count, busy);
        }
    }

    /// <summary>The sum over all connections; a closed one keeps its last reading.</summary>
    public long Total()
    {
        Span<byte> info = stackalloc byte[256];
        lock (_sockets)
        {
            long total = 0;
            foreach (var socket in _sockets.Keys.ToList())
            {
                try
                {
                    var length = socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info);
                    if (length >= _offset + 8)
                    {
                        _sockets[socket] = (long)BinaryPrimitives.ReadUInt64LittleEndian(info[_offset..]);
                    }
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
                {
                    // Closed: its last reading stands.
                }

                total += _sockets[socket];
            }

            return total;
        }
    }
}

/// <summary>A snapshot of <see cref="TcpByteCounter.Pressure"/>.</summary>
/// <param name="Connections">Connections tracked.</param>
/// <param name="BusyMicroseconds">Time the connections had data to send, since they opened.</param>
internal readonly record struct TcpPressure(int Connections, long BusyMicroseconds);
