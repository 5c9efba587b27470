using System.Net;
using System.Net.Sockets;
using HaTangSo.Telemetry.SpeedTest.Diagnostics;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.SpeedTest.UdpEcho;

/// <summary>
/// Echoes each datagram back unchanged to its sender (the probe puts a sequence number and its send time
/// inside), rate-limited per client address, for loss and jitter over UDP.
/// </summary>
internal sealed class UdpEchoService(IOptions<SpeedTestOptions> options, TimeProvider time, ILogger<UdpEchoService> logger)
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
        var limiter = new ClientRateLimiter(time, settings.UdpPacketsPerSecond, settings.UdpBurst, settings.UdpMaxClients);
        var buffer = new byte[settings.UdpMaxDatagramBytes + 1];
        var from = new SocketAddress(bind.AddressFamily);
        long limited = 0;
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

            var client = ((IPEndPoint)new IPEndPoint(bind, 0).Create(from)).Address;
            if (!limiter.TryAcquire(client))
            {
                if (++limited % 1000 == 1)
                {
                    logger.UdpEchoRateLimited(client.ToString(), limited);
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
