using System.Globalization;
using System.Security.Cryptography;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// LibreSpeed's backend endpoints, relative to the server's base address: <c>garbage</c> (download,
/// <c>ckSize</c> MiB chunks), <c>empty</c> (upload and ping) and <c>getIP</c>. The PHP names
/// (<c>backend/garbage.php</c>) are used when the base address ends in <c>/backend/</c>.
/// </summary>
internal static class LibreSpeedPaths
{
    /// <summary>The most chunks LibreSpeed's garbage.php serves in one response (1 GiB).</summary>
    public const int MaxChunks = 1024;

    public static string Garbage(Uri server, int chunks) => Name(server, "garbage") + "?ckSize=" + chunks.ToString(CultureInfo.InvariantCulture) + "&r=" + Nonce();

    public static string Empty(Uri server) => Name(server, "empty") + "?r=" + Nonce();

    public static string GetIp(Uri server) => Name(server, "getIP");

    /// <summary>The speed-test server's UDP token for this client (HaTangSo's addition; LibreSpeed has none).</summary>
    public static string UdpToken(Uri server) => Name(server, "udpToken") + "?r=" + Nonce();

    private static string Name(Uri server, string name) =>
        server.AbsolutePath.EndsWith("/backend/", StringComparison.Ordinal) ? name + ".php" : name;

    // A fresh query string defeats any cache between probe and server (LibreSpeed adds r=Math.random()).
    private static string Nonce() => RandomNumberGenerator.GetHexString(8, lowercase: true);
}
