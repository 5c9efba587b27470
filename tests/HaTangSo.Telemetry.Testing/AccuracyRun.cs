using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Testing;

/// <summary>What iperf3 and the probe measured on one emulated link, in the same run.</summary>
public sealed record AccuracyRow(
    EmulatedLink Link, double IperfDownMbps, double IperfUpMbps, ResultMessage Probe)
{
    public double DownDeviationPct => Deviation(Probe.DownloadMbps, IperfDownMbps);

    public double UpDeviationPct => Deviation(Probe.UploadMbps, IperfUpMbps);

    public double LatencyErrorMs => (Probe.LatencyMs ?? double.NaN) - Link.DelayMs;

    public static string Header =>
        "| shaped down/up (Mb/s) | delay | loss | iperf3 down | probe down | Δ | iperf3 up | probe up | Δ | probe latency | probe loss |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"| {Link.DownMbps}/{Link.UpMbps} | {Link.DelayMs} ms | {Link.LossPct}% | {IperfDownMbps:0.0} | {Probe.DownloadMbps:0.0} | {DownDeviationPct:+0.0;-0.0}% | {IperfUpMbps:0.0} | {Probe.UploadMbps:0.0} | {UpDeviationPct:+0.0;-0.0}% | {Probe.LatencyMs:0.0} ms | {Probe.LossPct:0.0}% |");

    private static double Deviation(double? probe, double reference) => ((probe ?? double.NaN) - reference) / reference * 100;
}

/// <summary>
/// Runs iperf3 and the probe's <c>measure</c> one after the other over the same emulated link: iperf3 with the
/// probe's stream count (<c>-P</c>) and its warm-up omitted (<c>-O</c>), for the probe's measured span.
/// </summary>
public sealed class AccuracyRun : IAsyncDisposable
{
    public const int Streams = 4;
    public const int DurationSeconds = 10;
    public const int WarmupSeconds = 3;
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
        return run;
    }

    /// <summary>iperf3 then the probe over <paramref name="link"/>.</summary>
    public async Task<AccuracyRow> MeasureAsync(EmulatedLink link, CancellationToken cancellationToken)
    {
        var source = _lab.SourceAddresses[link.Name];
        var down = await IperfAsync(source, reverse: true, cancellationToken);
        var up = await IperfAsync(source, reverse: false, cancellationToken);
        var probe = await ProbeMeasureAsync(source, link.Name, cancellationToken);
        return new AccuracyRow(link, down, up, probe);
    }

    /// <summary>The probe's one-shot measurement (the contract's <c>measure --json</c>) from the client namespace.</summary>
    public async Task<ResultMessage> ProbeMeasureAsync(IPAddress source, string linkName, CancellationToken cancellationToken)
    {
        var probe = BuildOutput.File("probes/HaTangSo.Telemetry.Probe", "hts-probe.dll");
        var json = await LinkLab.ExecAsync(_lab.ClientNamespace, "dotnet",
            [probe, "measure", "--server", ServerUrl.ToString(), "--bind", source.ToString(), "--duration", DurationSeconds.ToString(CultureInfo.InvariantCulture),
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
