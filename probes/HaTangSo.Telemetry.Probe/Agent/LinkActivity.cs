using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;

namespace HaTangSo.Telemetry.Probe.Agent;

/// <summary>
/// How busy a link is just before a test, from the kernel's interface counters
/// (<c>/sys/class/net/IFACE/statistics/{rx,tx}_bytes</c>): the SamKnows "cross-traffic" check.
/// </summary>
internal class LinkActivity(TimeProvider time)
{
    /// <summary>The interface that holds <paramref name="address"/>, or null.</summary>
    public static string? InterfaceOf(IPAddress address) =>
        NetworkInterface.GetAllNetworkInterfaces()
            .FirstOrDefault(n => n.GetIPProperties().UnicastAddresses.Any(u => u.Address.Equals(address)))?.Name;

    /// <summary>The busier direction's rate in Mb/s over <paramref name="window"/>; null when the counters cannot be read.</summary>
    public virtual async Task<double?> MbpsAsync(string networkInterface, TimeSpan window, CancellationToken cancellationToken)
    {
        var before = ReadCounters(networkInterface);
        var start = time.GetTimestamp();
        await Task.Delay(window, time, cancellationToken);
        var after = ReadCounters(networkInterface);
        var seconds = time.GetElapsedTime(start).TotalSeconds;
        if (before is null || after is null || seconds <= 0)
        {
            return null;
        }

        var bytes = Math.Max(after.Value.Rx - before.Value.Rx, after.Value.Tx - before.Value.Tx);
        return bytes * 8 / seconds / 1e6;
    }

    private static (long Rx, long Tx)? ReadCounters(string networkInterface)
    {
        var directory = Path.Combine("/sys/class/net", networkInterface, "statistics");
        try
        {
            return (ReadLong(Path.Combine(directory, "rx_bytes")), ReadLong(Path.Combine(directory, "tx_bytes")));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static long ReadLong(string path) => long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
}
