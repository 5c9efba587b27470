using System.Net.Sockets;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// Wakes the download reader once per <see cref="Bytes"/> instead of once per packet (<c>SO_RCVLOWAT</c>): at
/// 300 Mb/s the probe used 65 % of a core reading a few kilobytes at a time and under-read when the box was busy;
/// with a 64 KiB low-water mark it used 29 % (iperf3: 21 %). The mark is at most an eighth of the socket's receive
/// buffer as the kernel has sized it so far: bytes waiting for the mark are bytes the window does not offer, and with
/// the first 128 KiB buffer a 64 KiB mark closed the window on the sender (the server's kernel counted the download
/// held back by the probe's window 47 % of the time, −18 % on a 100 Mb/s, 20 ms link), which also kept the kernel
/// from growing the buffer. As the buffer grows the mark grows with it. The mark is dropped to one byte for the last
/// part of a response, whose tail may be shorter, so a read never waits for bytes that will not come.
/// </summary>
internal sealed class ReceiveLowWater(Socket socket)
{
    /// <summary>The largest mark.</summary>
    public const int Bytes = 64 * 1024;

    /// <summary>The mark is at most the receive buffer divided by this.</summary>
    public const int BufferShare = 8;

    private int _current = 1;

    /// <summary>Before a read, with what is left of the response (null when its length is unknown).</summary>
    public void Before(long? remaining)
    {
        var mark = Math.Clamp(BufferSize() / BufferShare, 1, Bytes);
        Set(remaining is { } left && left > 2L * mark ? mark : 1);
    }

    /// <summary>Back to one byte: the next response's headers are short.</summary>
    public void Reset() => Set(1);

    private int BufferSize()
    {
        try
        {
            return socket.ReceiveBufferSize;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return 0;
        }
    }

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
