using System.Net;
using System.Net.Sockets;

namespace HaTangSo.Telemetry.Testing;

/// <summary>Finds free loopback TCP ports for the services a test starts.</summary>
public static class FreePort
{
    private static readonly HashSet<int> s_handedOut = [];

    /// <summary>
    /// A port that is free now and was not handed out before in this process (the OS may give the same
    /// ephemeral port twice before the first service binds it).
    /// </summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (s_handedOut)
            {
                if (s_handedOut.Add(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException("No free loopback port found after 100 attempts.");
    }
}
