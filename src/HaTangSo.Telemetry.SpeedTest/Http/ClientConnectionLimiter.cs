using System.Net;
using HaTangSo.Telemetry.SpeedTest.Diagnostics;
using HaTangSo.Telemetry.SpeedTest.UdpEcho;
using Microsoft.AspNetCore.Connections;

namespace HaTangSo.Telemetry.SpeedTest.Http;

/// <summary>
/// Caps the open TCP connections of one client address (Kestrel connection middleware, so idle and half-sent
/// requests count too): one address cannot take the server's connections from everyone else. A connection over the
/// cap is closed before any byte of HTTP is read.
/// </summary>
internal sealed class ClientConnectionLimiter(int perClient, ILogger logger)
{
    private readonly Dictionary<IPAddress, int> _open = [];
    private long _refused;

    /// <summary>Open connections of <paramref name="client"/> now.</summary>
    public int Open(IPAddress client)
    {
        lock (_open)
        {
            return _open.GetValueOrDefault(UdpTokens.Normalise(client));
        }
    }

    /// <summary>The connection middleware.</summary>
    public ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        if (connection.RemoteEndPoint is not IPEndPoint { Address: var remote })
        {
            await next(connection);
            return;
        }

        var client = UdpTokens.Normalise(remote);
        if (!TryEnter(client))
        {
            logger.ConnectionLimited(client.ToString(), perClient, Interlocked.Increment(ref _refused));
            return; // returning closes the connection
        }

        try
        {
            await next(connection);
        }
        finally
        {
            Leave(client);
        }
    };

    private bool TryEnter(IPAddress client)
    {
        lock (_open)
        {
            var open = _open.GetValueOrDefault(client);
            if (open >= perClient)
            {
                return false;
            }

            _open[client] = open + 1;
            return true;
        }
    }

    private void Leave(IPAddress client)
    {
        lock (_open)
        {
            var open = _open.GetValueOrDefault(client) - 1;
            if (open <= 0)
            {
                _open.Remove(client); // bounded by the open connections, not by every address ever seen
            }
            else
            {
                _open[client] = open;
            }
        }
    }
}
