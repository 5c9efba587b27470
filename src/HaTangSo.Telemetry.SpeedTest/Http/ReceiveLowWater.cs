using System.Net.Sockets;

namespace HaTangSo.Telemetry.SpeedTest.Http;

/// <summary>
/// Wakes the upload reader once per <see cref="Bytes"/> instead of once per packet (<c>SO_RCVLOWAT</c>) while more
/// than twice that is still to come in a body of known length. A probe's 100 Mb/s upload over four streams cost
/// this server 70–80 % of a core read a few kilobytes at a time, and a busy server under-reads uploads; with the mark
/// it cost 15–30 %. Bodies of unknown length (chunked) are read as they come: their end is not known, and a read
/// must never wait for bytes that will not come. The mark is back to one byte before the next request.
/// </summary>
internal sealed class ReceiveLowWater(Socket socket)
{
    /// <summary>
    /// The mark. Linux grows the receive buffer to twice the mark and clamps the window to it only when the buffer
    /// was smaller, which 64 KiB never triggers with the default 128 KiB buffer (tcp_set_rcvlowat).
    /// </summary>
    public const int Bytes = 64 * 1024;

    private int _current = 1;

    /// <summary>Before a read, with what is left of the body (null when its length is unknown).</summary>
    public void Before(long? remaining) => Set(remaining is { } left && left > 2L * Bytes ? Bytes : 1);

    /// <summary>Back to one byte: the next request's headers are short.</summary>
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
