using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>Loss and jitter over UDP: round-trip loss in percent and the RTT statistics of the echoes.</summary>
/// <param name="LossPct">Datagrams without an echo, in percent of those sent (both directions together).</param>
/// <param name="RttMs">Round-trip times of the echoes, in sending order.</param>
internal sealed record UdpEchoResult(double LossPct, IReadOnlyList<double> RttMs);

/// <summary>
/// Sends numbered, timestamped datagrams to the server's echo responder at a steady pace and matches the
/// echoes (the method of SamKnows' UDP latency and loss test, on a short schedule). Each datagram opens with the
/// server's UDP token (<see cref="UdpToken"/>), which the echo returns with the rest.
/// </summary>
internal sealed class UdpEchoTest(LinkEndpoint endpoint, MeasurementSettings settings, TimeProvider time, byte[] token)
{
    /// <summary>"HTSU": marks the probe's datagrams, so stray packets are not taken for echoes.</summary>
    public const uint Magic = 0x48545355;

    /// <summary>Token, magic, sequence number, send timestamp, padding.</summary>
    public const int DatagramBytes = 64;

    // Where the probe's own header starts: after the token.
    private const int Header = UdpToken.Length;

    private static readonly IPEndPoint s_any = new(IPAddress.Any, 0);

    /// <summary>Runs the test; throws <see cref="TimeoutException"/> when not a single echo came back.</summary>
    public async Task<UdpEchoResult> RunAsync(CancellationToken cancellationToken)
    {
        // Not connected: a responder bound to a wildcard address on a multi-homed host answers from whichever
        // address its route picks, which a connected socket would drop. The magic, sequence and timestamp are
        // what identify an echo.
        using var socket = endpoint.NewUdpSocket();
        var target = new IPEndPoint(endpoint.Address, settings.UdpPort);
        var received = new double?[settings.UdpPackets];
        using var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receiver = ReceiveAsync(socket, received, stopReceiving.Token);

        var datagram = new byte[DatagramBytes];
        token.CopyTo(datagram, 0);
        for (var sequence = 0; sequence < settings.UdpPackets; sequence++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(Header), Magic);
            BinaryPrimitives.WriteInt32BigEndian(datagram.AsSpan(Header + 4), sequence);
            BinaryPrimitives.WriteInt64BigEndian(datagram.AsSpan(Header + 8), time.GetTimestamp());
            try
            {
                await socket.SendToAsync(datagram, SocketFlags.None, target, cancellationToken);
            }
            catch (SocketException)
            {
                // ICMP unreachable from an earlier datagram: this one counts as lost.
            }

            await Task.Delay(settings.UdpInterval, time, cancellationToken);
        }

        await Task.Delay(settings.UdpWait, time, cancellationToken);
        await stopReceiving.CancelAsync();
        await receiver;

        var rtts = received.Where(r => r.HasValue).Select(r => r!.Value).ToList();
        if (rtts.Count == 0)
        {
            throw new TimeoutException(
                $"no UDP echo from {endpoint.Address}:{settings.UdpPort} (is the echo responder running and the port open?)");
        }

        return new UdpEchoResult(100.0 * (settings.UdpPackets - rtts.Count) / settings.UdpPackets, rtts);
    }

    private async Task ReceiveAsync(Socket socket, double?[] received, CancellationToken cancellationToken)
    {
        var buffer = new byte[2048];
        while (!cancellationToken.IsCancellationRequested)
        {
            int length;
            try
            {
                length = (await socket.ReceiveFromAsync(buffer, SocketFlags.None, s_any, cancellationToken)).ReceivedBytes;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            var now = time.GetTimestamp();
            if (length < Header + 16 || BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(Header)) != Magic)
            {
                continue;
            }

            var sequence = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(Header + 4));
            var sent = BinaryPrimitives.ReadInt64BigEndian(buffer.AsSpan(Header + 8));
            if (sequence >= 0 && sequence < received.Length && received[sequence] is null)
            {
                // A duplicate echo is not a second delivery; the first one counts.
                received[sequence] = time.GetElapsedTime(sent, now).TotalMilliseconds;
            }
        }
    }
}
