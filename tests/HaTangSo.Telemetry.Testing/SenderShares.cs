using System.Globalization;
using System.Text.RegularExpressions;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// What held one probe run's downloads back, as the speed-test server's kernel counted it (the server's Debug line
/// 5504 per download, from <c>TCP_INFO</c>), weighted by each download's length: the server had nothing to send (it
/// did not write in time), the probe's receive window was full (the probe did not read in time), or the send buffer
/// was full. It says which side moved when a probe reading is low.
/// </summary>
public sealed partial record SenderShares(int Downloads, double ServerIdlePct, double ReceiverWindowPct, double SendBufferPct)
{
    /// <summary>A round in which the server held the downloads back this much is the server's, not the probe's.</summary>
    public const double ServerBoundPct = 10;

    /// <summary>No download line was seen.</summary>
    public static SenderShares None { get; } = new(0, double.NaN, double.NaN, double.NaN);

    /// <summary>Whether the speed-test server, not the link or the probe, held the downloads back.</summary>
    public bool ServerBound => ServerIdlePct >= ServerBoundPct;

    /// <summary>The downloads of at least a second in <paramref name="log"/> (the server's console output).</summary>
    public static SenderShares Parse(string log)
    {
        var rows = DownloadEnded().Matches(log)
            .Select(m => (Seconds: Number(m.Groups[1]), Idle: Number(m.Groups[2]), Window: Number(m.Groups[3]), Buffer: Number(m.Groups[4])))
            .Where(r => r.Seconds >= 1)
            .ToArray();
        var total = rows.Sum(r => r.Seconds);
        return rows.Length == 0
            ? None
            : new SenderShares(
                rows.Length,
                Math.Round(rows.Sum(r => r.Idle * r.Seconds) / total, 1),
                Math.Round(rows.Sum(r => r.Window * r.Seconds) / total, 1),
                Math.Round(rows.Sum(r => r.Buffer * r.Seconds) / total, 1));
    }

    public override string ToString() => Downloads == 0
        ? "?"
        : string.Create(CultureInfo.InvariantCulture, $"{ServerIdlePct:0}% / {ReceiverWindowPct:0}% / {SendBufferPct:0}%");

    private static double Number(Group group) => double.Parse(group.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"download to \S+ ended after ([0-9.]+) s; held back by the server ([0-9.]+)%, by the receiver's window ([0-9.]+)%, by the send buffer ([0-9.]+)%")]
    private static partial Regex DownloadEnded();
}
