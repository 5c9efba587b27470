using System.Net.Sockets;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// Wakes the download reader once per <see cref="Bytes"/> instead of once per packet (<c>SO_RCVLOWAT</c>): at
/// 300 Mb/s the probe used 65 % of a core reading a few kilobytes at a time and under-read when the box was busy;
/// with a 64 KiB low-water mark it used 29 % (iperf3: 21 %). The mark is dropped to one byte for the last part of a
/// response, whose tail may be shorter, so a read never waits for bytes that will not come.
/// </summary>
internal sealed class ReceiveLowWater(Socket socket)
{
    /// <summary>
    /// The mark. Linux grows the receive buffer to twice the mark and clamps the window to it only when the buffer
    /// was smaller, which 64 KiB never triggers with the default 128 KiB buffer (tcp_set_rcvlowat).
    /// </summary>
    public const int Bytes = 64 * 1024;

    private int _current = 1;

    /// <summary>Before a read, with what is left of the response (null when its length is unknown).</summary>
    public void Before(long? remaining) => Set(remaining is { } left && left > 2L * Bytes ? Bytes : 1);

    /// <summary>Back to one byte: the next response's headers are short.</summary>
    public void Reset() => Set(1);

    private void Set(int value)
    {
        if (value == _current)
        {
            return;
        }

        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReceiveLowWater, value);
            _current = value;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The connection is gone or the option unsupported: reading simply wakes per packet.
        }
    }
}
