using System.Globalization;
using System.Text;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// One link's alternating rounds: iperf3 readings <c>R0, R1, … Rn</c> and probe readings <c>P1 … Pn</c>, each probe
/// reading taken between <c>R(i-1)</c> and <c>Ri</c>. The reference is the median of all iperf3 readings (iperf3
/// dips too on a busy machine — one reading of 79 Mb/s among 95s was seen — and a median is not moved by one dip,
/// where the mean of the two readings around a probe reading is); each probe reading's deviation is from it. The
/// verdict is on the median deviation of all rounds the probe did not flag as CPU-bound and in which the speed-test
/// server kept the downloads busy (<see cref="SenderShares"/>: the server stands for a machine in the data centre, and
/// on this shared box it can be the one that did not get a core); an excluded round must be an under-read — a probe
/// that under-reads without either side saying why fails. When every round was excluded and the server was the cause
/// at least once, the run is <see cref="Inconclusive"/>: it says nothing about the probe. So is a run in which the link
/// emulator's delay helper used a whole core in some second (<see cref="EmulatorPeakPct"/>): the emulated link then
/// carried what that core had to spare, which varies from one tool's turn to the next, and both readings measured it.
/// </summary>
public sealed record LinkAccuracy(
    EmulatedLink Link, double PingRttMs, IReadOnlyList<(double Down, double Up)> References, IReadOnlyList<ResultMessage> Probes,
    IReadOnlyList<SenderShares> Senders, IReadOnlyList<double>? EmulatorPeakPct = null)
{
    /// <summary>A delay helper at this share of a core in some second was saturated: the link was not the one asked for.</summary>
    public const double EmulatorSaturatedPct = 90;

    /// <summary>The median iperf3 download reading, Mb/s.</summary>
    public double ReferenceDown => Median([.. References.Select(r => r.Down)]);

    /// <summary>The median iperf3 upload reading, Mb/s.</summary>
    public double ReferenceUp => Median([.. References.Select(r => r.Up)]);

    /// <summary>Each round's download deviation from the reference, in %.</summary>
    public IReadOnlyList<double> DownDeviationsPct => [.. Probes.Select(p => Deviation(p.DownloadMbps, ReferenceDown))];

    /// <summary>Each round's upload deviation from the reference, in %.</summary>
    public IReadOnlyList<double> UpDeviationsPct => [.. Probes.Select(p => Deviation(p.UploadMbps, ReferenceUp))];

    /// <summary>Median download deviation of the rounds not excluded (NaN when every round was).</summary>
    public double DownDeviationPct => Median([.. DownDeviationsPct.Where((_, i) => !Excluded(i))]);

    /// <summary>Median upload deviation of the rounds the probe did not flag CPU-bound (the server's downloads do not bear on uploads).</summary>
    public double UpDeviationPct => Median([.. UpDeviationsPct.Where((_, i) => Probes[i].CpuBound != true)]);

    /// <summary>The probe's median idle latency against ping's round trip over the same link.</summary>
    public double LatencyErrorMs => Median([.. Probes.Select(p => p.LatencyMs ?? double.NaN)]) - PingRttMs;

    /// <summary>What the emulator added beyond its nominal delay (ping against <see cref="EmulatedLink.DelayMs"/>).</summary>
    public double EmulatorExcessMs => PingRttMs - Link.DelayMs;

    /// <summary>Rounds the probe flagged CPU-bound.</summary>
    public int CpuBoundRounds => Probes.Count(p => p.CpuBound == true);

    /// <summary>Rounds in which the speed-test server held the downloads back.</summary>
    public int ServerBoundRounds => Senders.Count(s => s.ServerBound);

    /// <summary>Rounds in which the link emulator's delay helper was saturated in some second.</summary>
    public int EmulatorSaturatedRounds => EmulatorPeakPct?.Count(p => p >= EmulatorSaturatedPct) ?? 0;

    /// <summary>Why the run says nothing about the probe's downloads; null when it does.</summary>
    public string? Inconclusive =>
        EmulatorSaturatedRounds > 0
            ? Invariant($"the link emulator's delay helper used {EmulatorPeakPct!.Max():0} % of a core in some second of {EmulatorSaturatedRounds} of {Probes.Count} rounds: the emulated link carried what the helper's core had to spare, not {Link.DownMbps} Mb/s, and both tools measured that (the harness's limit, not the probe's)")
            : ServerBoundRounds > 0 && Enumerable.Range(0, Probes.Count).All(Excluded)
                ? $"the speed-test server held the downloads back in {ServerBoundRounds} of {Probes.Count} rounds (it shares this box; in the field it has a machine of its own) and the probe was CPU-bound in {CpuBoundRounds}: no round to judge the probe by"
                : null;

    /// <summary>
    /// True when no round was CPU-bound, the probe's rounds are within <paramref name="pct"/> of each other, and so are
    /// iperf3's.
    /// </summary>
    public bool RoundsAgree(double pct) =>
        CpuBoundRounds == 0 && ServerBoundRounds == 0 && Spread(DownDeviationsPct) <= pct && Spread(UpDeviationsPct) <= pct
        && Spread([.. References.Select(r => Deviation(r.Down, ReferenceDown))]) <= pct
        && Spread([.. References.Select(r => Deviation(r.Up, ReferenceUp))]) <= pct;

    /// <summary>What is wrong with the readings at <paramref name="tolerancePct"/>; empty when nothing is.</summary>
    public IReadOnlyList<string> Failures(double tolerancePct, double latencyToleranceMs = 3)
    {
        var failures = new List<string>();
        if (Probes.Any(p => p.Status != ResultStatus.Ok))
        {
            failures.Add("a probe reading is not 'ok': " + string.Join(", ", Probes.Select(p => p.Status + (p.Error is null ? string.Empty : $" ({p.Error})"))));
        }

        if (CpuBoundRounds == Probes.Count && ServerBoundRounds == 0)
        {
            failures.Add($"the probe was CPU-bound in all {Probes.Count} rounds: nothing to judge its method by");
        }

        if (Inconclusive is null)
        {
            Check("download", DownDeviationPct, DownDeviationsPct, Excluded);
        }

        Check("upload", UpDeviationPct, UpDeviationsPct, i => Probes[i].CpuBound == true);
        if (!(Math.Abs(LatencyErrorMs) <= latencyToleranceMs))
        {
            failures.Add(Invariant($"latency off by {LatencyErrorMs:0.0} ms from ping (±{latencyToleranceMs} ms)"));
        }

        if (EmulatorExcessMs is < -0.5 or > 10)
        {
            failures.Add(Invariant($"the emulator added {EmulatorExcessMs:0.0} ms beyond its delay"));
        }

        return failures;

        void Check(string what, double median, IReadOnlyList<double> rounds, Func<int, bool> excluded)
        {
            if (!(Math.Abs(median) <= tolerancePct))
            {
                failures.Add(Invariant($"{what} off by {median:+0.0;-0.0} % (median of the unflagged rounds; ±{tolerancePct} %)"));
            }

            for (var i = 0; i < Probes.Count; i++)
            {
                if (excluded(i) && rounds[i] > tolerancePct)
                {
                    failures.Add(Invariant($"round {i + 1} was left out (CPU- or server-bound) yet read {what} {rounds[i]:+0.0} % high"));
                }
            }
        }
    }

    public static string Header =>
        "| link | round | iperf3 down (before / after) | probe down | Δ from median iperf3 | iperf3 up (before / after) | probe up | Δ | ping rtt | probe latency | CPU-bound | probe CPU | download held back by server / probe window / send buffer | emulator's peak |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|";

    /// <summary>One table row per round, then a summary row with the medians.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        var down = DownDeviationsPct;
        var up = UpDeviationsPct;
        for (var i = 0; i < Probes.Count; i++)
        {
            var p = Probes[i];
            text.AppendLine(Invariant(
                $"| {Link} | {i + 1} | {References[i].Down:0.0} / {References[i + 1].Down:0.0} | {p.DownloadMbps:0.0} | {Signed(down[i])} % | {References[i].Up:0.0} / {References[i + 1].Up:0.0} | {p.UploadMbps:0.0} | {Signed(up[i])} % | {PingRttMs:0.0} ms | {p.LatencyMs:0.0} ms | {(p.CpuBound == true ? "yes" : "no")} | {p.Cpu?.ProbePct:0}% (waited {p.Cpu?.WaitPct:0}%, stalled {p.Cpu?.StalledPct:0}%) | {Senders[i]}{(Senders[i].ServerBound ? " (server-bound)" : string.Empty)} | {EmulatorPeak(i)} |"));
        }

        text.Append(Invariant(
            $"| {Link} | median | {ReferenceDown:0.0} | | {Signed(DownDeviationPct)} % | {ReferenceUp:0.0} | | {Signed(UpDeviationPct)} % | {PingRttMs:0.0} ms | {Signed(LatencyErrorMs)} ms | {CpuBoundRounds} of {Probes.Count} | | server-bound {ServerBoundRounds} of {Probes.Count} | saturated {EmulatorSaturatedRounds} of {Probes.Count} |"));
        return text.ToString();
    }

    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private string EmulatorPeak(int round) =>
        EmulatorPeakPct is { } peaks && round < peaks.Count && !double.IsNaN(peaks[round])
            ? Invariant($"{peaks[round]:0}% of a core{(peaks[round] >= EmulatorSaturatedPct ? " (saturated)" : string.Empty)}")
            : "-";

    private bool Excluded(int round) => Probes[round].CpuBound == true || Senders[round].ServerBound;

    private static double Spread(IReadOnlyList<double> values) => values.Count == 0 ? 0 : values.Max() - values.Min();

    // Rounded first: "+0.0;-0.0" alone prints "-+0.0" for a small negative number.
    private static string Signed(double value) => Math.Round(value, 1).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture);

    private static double Deviation(double? probe, double reference) => ((probe ?? double.NaN) - reference) / reference * 100;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
