using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// What iperf3, ping and the probe measured on one emulated link, in the same run. ping's median round trip is the
/// delay the emulator really added (nfqdelay is a userspace program: its wake-ups come on top of the nominal delay).
/// </summary>
public sealed record AccuracyRow(
    EmulatedLink Link, double IperfDownMbps, double IperfUpMbps, double PingRttMs, ResultMessage Probe)
{
    public double DownDeviationPct => Deviation(Probe.DownloadMbps, IperfDownMbps);

    public double UpDeviationPct => Deviation(Probe.UploadMbps, IperfUpMbps);

    /// <summary>The probe's idle latency against ping's round trip over the same link.</summary>
    public double LatencyErrorMs => (Probe.LatencyMs ?? double.NaN) - PingRttMs;

    /// <summary>What the emulator added beyond its nominal delay (ping against <see cref="EmulatedLink.DelayMs"/>).</summary>
    public double EmulatorExcessMs => PingRttMs - Link.DelayMs;

    public static string Header =>
        "| shaped down/up (Mb/s) | delay | loss | iperf3 down | probe down | Δ | iperf3 up | probe up | Δ | ping rtt | probe latency | Δ | probe loss |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"| {Link.DownMbps}/{Link.UpMbps} | {Link.DelayMs} ms | {Link.LossPct}% | {IperfDownMbps:0.0} | {Probe.DownloadMbps:0.0} | {Signed(DownDeviationPct)}% | {IperfUpMbps:0.0} | {Probe.UploadMbps:0.0} | {Signed(UpDeviationPct)}% | {PingRttMs:0.0} ms | {Probe.LatencyMs:0.0} ms | {Signed(LatencyErrorMs)} ms | {Probe.LossPct:0.0}% |");

    // Rounded first: "+0.0;-0.0" alone prints "-+0.0" for a small negative number.
    private static string Signed(double value) => Math.Round(value, 1).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture);

    private static double Deviation(double? probe, double reference) => ((probe ?? double.NaN) - reference) / reference * 100;
}

/// <summary>
/// Runs iperf3, ping and the probe's <c>measure</c> one after the other over the same emulated link: iperf3 with the
/// probe's stream count (<c>-P</c>) and its warm-up omitted (<c>-O</c>), for the probe's measured span; ping on the
/// idle link for the reference round trip.
/// </summary>
public sealed partial class AccuracyRun : IAsyncDisposable
{
    public const int Streams = 4;
    public const int DurationSeconds = 10;
    public const int WarmupSeconds = 3;
    public const int PingCount = 20;
    private const int HttpPort = 8090;
    private const int UdpPort = 9091;
    private readonly LinkLab _lab;
    private readonly TestProcess _speedTest;
    private readonly TestProcess _iperf;

    private AccuracyRun(LinkLab lab, TestProcess speedTest, TestProcess iperf)
    {
        _lab = lab;
        _speedTest = speedTest;
        _iperf = iperf;
    }

    public LinkLab Lab => _lab;

    public Uri ServerUrl => new($"http://{_lab.ServerAddress}:{HttpPort}/");

    /// <summary>Builds the lab and starts our speed-test server and an iperf3 server in its server namespace.</summary>
    public static async Task<AccuracyRun> StartAsync(string labName, IReadOnlyList<EmulatedLink> links, CancellationToken cancellationToken)
    {
        var lab = await LinkLab.UpAsync(labName, links, cancellationToken);
        var dll = BuildOutput.File("src/HaTangSo.Telemetry.SpeedTest", "HaTangSo.Telemetry.SpeedTest.dll");
        var speedTest = LinkLab.Start("speedtest", lab.ServerNamespace, "dotnet",
            [dll, "--urls", $"http://{lab.ServerAddress}:{HttpPort}", "--SpeedTest:UdpEchoPort", UdpPort.ToString(CultureInfo.InvariantCulture),
             "--SpeedTest:UdpBindAddress", lab.ServerAddress.ToString()],
            Path.GetDirectoryName(dll));
        var iperf = LinkLab.Start("iperf3", lab.ServerNamespace, "iperf3", ["-s", "-B", lab.ServerAddress.ToString()]);
        var run = new AccuracyRun(lab, speedTest, iperf);
        await speedTest.WaitUntilAsync(_ => Task.FromResult(speedTest.Output.Contains("Application started", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the speed-test server listening", cancellationToken);

        // A production server has answered thousands of requests; a fresh one is still compiling its request path.
        // 500 keep-alive requests from its own namespace (not over the emulated link) warm it up before any sample.
        await LinkLab.ExecAsync(lab.ServerNamespace, "curl",
            ["-s", "-o", "/dev/null", $"http://{lab.ServerAddress}:{HttpPort}/empty?r=[1-500]"], cancellationToken);
        return run;
    }

    /// <summary>iperf3 then the probe over <paramref name="link"/>.</summary>
    public async Task<AccuracyRow> MeasureAsync(EmulatedLink link, CancellationToken cancellationToken)
    {
        var source = _lab.SourceAddresses[link.Name];
        var down = await IperfAsync(source, reverse: true, cancellationToken);
        var up = await IperfAsync(source, reverse: false, cancellationToken);
        var rtt = await PingAsync(source, cancellationToken);
        var probe = await ProbeMeasureAsync(source, link.Name, cancellationToken);
        return new AccuracyRow(link, down, up, rtt, probe);
    }

    /// <summary>The median of <see cref="PingCount"/> ICMP round trips from <paramref name="source"/> to the server.</summary>
    public async Task<double> PingAsync(IPAddress source, CancellationToken cancellationToken)
    {
        var output = await LinkLab.ExecAsync(_lab.ClientNamespace, "ping",
            ["-n", "-c", PingCount.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-W", "2", "-I", source.ToString(), _lab.ServerAddress.ToString()],
            cancellationToken);
        var samples = PingReply().Matches(output)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .Order()
            .ToArray();
        if (samples.Length == 0)
        {
            throw new InvalidOperationException($"ping printed no round trip: {output}");
        }

        return samples.Length % 2 == 1
            ? samples[samples.Length / 2]
            : (samples[(samples.Length / 2) - 1] + samples[samples.Length / 2]) / 2;
    }

    [GeneratedRegex(@"time=([0-9.]+) ms")]
    private static partial Regex PingReply();

    /// <summary>
    /// The probe's one-shot measurement (the contract's <c>measure --json</c>) from the client namespace, by the
    /// probe as it is shipped: Native AOT.
    /// </summary>
    public async Task<ResultMessage> ProbeMeasureAsync(IPAddress source, string linkName, CancellationToken cancellationToken)
    {
        var probe = await PublishedProbe.GetAsync(cancellationToken);
        var json = await LinkLab.ExecAsync(_lab.ClientNamespace, probe,
            ["measure", "--server", ServerUrl.ToString(), "--bind", source.ToString(), "--duration", DurationSeconds.ToString(CultureInfo.InvariantCulture),
             "--warmup", WarmupSeconds.ToString(CultureInfo.InvariantCulture), "--streams", Streams.ToString(CultureInfo.InvariantCulture),
             "--udp-port", UdpPort.ToString(CultureInfo.InvariantCulture), "--link", linkName, "--json"],
            cancellationToken);
        return JsonSerializer.Deserialize(json, ContractsJsonContext.Default.ResultMessage)
            ?? throw new InvalidOperationException("measure printed nothing");
    }

    private async Task<double> IperfAsync(IPAddress source, bool reverse, CancellationToken cancellationToken)
    {
        string[] arguments =
        [
            "-c", _lab.ServerAddress.ToString(), "-B", source.ToString(), "-P", Streams.ToString(CultureInfo.InvariantCulture),
            "-O", WarmupSeconds.ToString(CultureInfo.InvariantCulture), "-t", (DurationSeconds - WarmupSeconds).ToString(CultureInfo.InvariantCulture), "-J",
            .. reverse ? new[] { "-R" } : [],
        ];
        // iperf3 3.12 can wait forever on a lost control message; bound each run and try again once.
        for (var attempt = 1; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(DurationSeconds * 4));
            try
            {
                var json = await LinkLab.ExecAsync(_lab.ClientNamespace, "iperf3", [.. arguments, "--connect-timeout", "5000"], timeout.Token);
                var report = JsonNode.Parse(json)!;
                return report["end"]!["sum_received"]!["bits_per_second"]!.GetValue<double>() / 1e6;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && attempt < 2)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _speedTest.DisposeAsync();
        await _iperf.DisposeAsync();
        await _lab.DisposeAsync();
    }
}
