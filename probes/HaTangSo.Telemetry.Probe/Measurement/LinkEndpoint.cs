using System.Net;
using System.Net.Sockets;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// Where one test goes and which link it leaves by: every socket of the test is bound to
/// <see cref="Source"/>, so with source-based routing the fixed line and the modem are measured separately.
/// </summary>
/// <param name="Server">The speed-test server's base address.</param>
/// <param name="Address">The server's address, resolved once (the DNS test) and used by every socket.</param>
/// <param name="Source">The link's local address; null leaves the choice to the routing table.</param>
internal sealed record LinkEndpoint(Uri Server, IPAddress Address, IPAddress? Source)
{
    /// <summary>A TCP socket bound to the link and connected to the server.</summary>
    public async Task<Socket> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var socket = NewSocket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(new IPEndPoint(Address, port), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A UDP socket bound to the link.</summary>
    public Socket NewUdpSocket()
    {
        var socket = NewSocket(SocketType.Dgram, ProtocolType.Udp);
        if (Source is null)
        {
            // Bound now, so receiving can start before the first datagram leaves.
            socket.Bind(new IPEndPoint(Address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
        }

        return socket;
    }

    /// <summary>
    /// An HTTP client whose connections are all bound to the link; <paramref name="connections"/> caps them
    /// (one per stream, so the streams really are parallel TCP connections).
    /// </summary>
    public HttpClient NewHttpClient(int connections, TimeSpan timeout, Action<Socket>? connected = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = connections,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = await ConnectAsync(context.DnsEndPoint.Port, cancellationToken);
                connected?.Invoke(socket);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = Server, Timeout = timeout };
    }

    private Socket NewSocket(SocketType type, ProtocolType protocol)
    {
        var socket = new Socket(Address.AddressFamily, type, protocol);
        try
        {
            if (Source is not null)
            {
                socket.Bind(new IPEndPoint(Source, 0));
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Resolves the server's host (timed: the DNS figure), preferring the source address's family.</summary>
    public static async Task<(IPAddress Address, double? DnsMs)> ResolveAsync(
        Uri server, IPAddress? source, TimeProvider time, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(server.DnsSafeHost, out var literal))
        {
            return (literal, null);
        }

        var start = time.GetTimestamp();
        var addresses = await Dns.GetHostAddressesAsync(server.DnsSafeHost, cancellationToken);
        var elapsed = time.GetElapsedTime(start).TotalMilliseconds;
        var family = source?.AddressFamily;
        var chosen = addresses.FirstOrDefault(a => family is null || a.AddressFamily == family)
            ?? throw new SocketException((int)SocketError.AddressFamilyNotSupported);
        return (chosen, elapsed);
    }
}
