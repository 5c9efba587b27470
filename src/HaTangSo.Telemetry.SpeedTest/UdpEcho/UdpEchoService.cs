using System.Net;
using System.Net.Sockets;
using HaTangSo.Telemetry.SpeedTest.Diagnostics;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.SpeedTest.UdpEcho;

/// <summary>
/// Echoes each datagram back unchanged to its sender (the probe puts a sequence number and its send time inside), for
/// loss and jitter over UDP. A datagram is answered only when it opens with a valid token for its source address
/// (<see cref="UdpTokens"/>), its client is within its rate and the server within its total; anything else is dropped
/// without a word. Answers are never larger than the question (no amplification).
/// </summary>
internal sealed class UdpEchoService(IOptions<SpeedTestOptions> options, UdpTokens tokens, TimeProvider time, ILogger<UdpEchoService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.UdpEchoPort == 0)
        {
            logger.UdpEchoDisabled();
            return;
        }

        var bind = IPAddress.Parse(settings.UdpBindAddress);
        using var socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (bind.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.DualMode = true;
        }

        socket.Bind(new IPEndPoint(bind, settings.UdpEchoPort));
        logger.UdpEchoListening(socket.LocalEndPoint?.ToString() ?? string.Empty);
        var limiter = new ClientRateLimiter(
            time, settings.UdpPacketsPerSecond, settings.UdpBurst, settings.UdpMaxClients, settings.UdpGlobalPacketsPerSecond);
        var buffer = new byte[settings.UdpMaxDatagramBytes + 1];
        var from = new SocketAddress(bind.AddressFamily);
        long limited = 0, globalLimited = 0, untokened = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException ex)
            {
                // ICMP port unreachable from an earlier reply surfaces here on Linux; keep serving.
                logger.UdpEchoReceiveFailed(ex.SocketErrorCode.ToString());
                continue;
            }

            if (length > settings.UdpMaxDatagramBytes)
            {
                continue;
            }

            var client = UdpTokens.Normalise(((IPEndPoint)new IPEndPoint(bind, 0).Create(from)).Address);
            if (!tokens.IsValid(buffer.AsSpan(0, length), client))
            {
                if (++untokened % 1000 == 1)
                {
                    logger.UdpEchoNoToken(client.ToString(), untokened);
                }

                continue;
            }

            switch (limiter.Acquire(client))
            {
                case EchoDecision.ClientLimited:
                    if (++limited % 1000 == 1)
                    {
                        logger.UdpEchoRateLimited(client.ToString(), limited);
                    }

                    continue;
                case EchoDecision.GlobalLimited:
                    if (++globalLimited % 1000 == 1)
                    {
                        logger.UdpEchoGlobalLimited(globalLimited);
                    }

                    continue;
            }

            try
            {
                await socket.SendToAsync(buffer.AsMemory(0, length), SocketFlags.None, from, stoppingToken);
            }
            catch (SocketException ex)
            {
                logger.UdpEchoReceiveFailed(ex.SocketErrorCode.ToString());
            }
        }
    }
}
