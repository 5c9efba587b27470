using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// Runs iperf3, ping and the probe's <c>measure</c> over the same emulated link, alternately: iperf3 (down, up), the
/// probe, iperf3, the probe, … iperf3, so the two tools take turns under the same conditions and are compared by
/// their medians (<see cref="LinkAccuracy"/>). iperf3 uses the probe's stream count (<c>-P</c>) and leaves its warm-up out
/// (<c>-O</c>) for the probe's measured span, with the kernel's own socket buffers (<c>-w</c> would also fix the
/// receive window, and on the 2 Mb/s, 150 ms line a 4 MiB window filled the emulator's queue: iperf3 read 0.9 Mb/s
/// and the next latency samples 420–690 ms); ping on the idle link gives the reference round trip.
/// <para>
/// What runs at which priority, and why: the emulator's delay helper (nfqdelay, in <c>tools/linkemu</c>) runs
/// real-time, so the emulated link is the same link whatever else the machine does; the two servers (ours and
/// iperf3's) run at nice −10, standing for a server in the data centre, on another machine; the two clients (the probe
/// and iperf3) run at the same nice −5, so each is measured under the same conditions as the other, a little above
/// the machine's ordinary work. No process is pinned to a core: on two cores a pinned process shares its core with
/// whatever else lands there, and the scheduler balances better. Whether the probe under-reads when it is starved is
/// tested separately (it must say so: <see cref="ResultMessage.CpuBound"/>).
/// </para>
/// </summary>
public sealed partial class AccuracyRun : IAsyncDisposable
{
    public const int Streams = 4;
    public const int DurationSeconds = 10;
    public const int WarmupSeconds = 3;
    public const int PingCount = 20;
    public const int ServerNice = -10;
    public const int ClientNice = -5;

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
        var speedTest = LinkLab.Start("speedtest", lab.ServerNamespace, "nice",
            [$"-n{ServerNice}", "dotnet", dll, "--urls", $"http://{lab.ServerAddress}:{HttpPort}",
             "--SpeedTest:UdpEchoPort", UdpPort.ToString(CultureInfo.InvariantCulture), "--SpeedTest:UdpBindAddress", lab.ServerAddress.ToString(),
             "--Logging:LogLevel:HaTangSo.Telemetry.SpeedTest.Http", "Debug"], // a line per download: what held it back
            Path.GetDirectoryName(dll));
        var iperf = LinkLab.Start("iperf3", lab.ServerNamespace, "nice", [$"-n{ServerNice}", "iperf3", "-s", "-B", lab.ServerAddress.ToString()]);
        var run = new AccuracyRun(lab, speedTest, iperf);
        await speedTest.WaitUntilAsync(_ => Task.FromResult(speedTest.Output.Contains("Application started", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), "the speed-test server listening", cancellationToken);

        // A production server has answered thousands of requests; a fresh one is still compiling its request path.
        // 500 keep-alive requests from its own namespace (not over the emulated link) warm it up before any sample.
        await LinkLab.ExecAsync(lab.ServerNamespace, "curl",
            ["-s", "-o", "/dev/null", $"http://{lab.ServerAddress}:{HttpPort}/empty?r=[1-500]"], cancellationToken);
        return run;
    }

    /// <summary>
    /// Measures <paramref name="link"/> in at least <paramref name="minRounds"/> alternating rounds and takes another
    /// round (up to <paramref name="maxRounds"/>) while the rounds disagree by more than
    /// <paramref name="agreementPct"/> or a round was CPU-bound or server-bound: more samples, never a retry — the verdict is
    /// on all of them. A round in which the emulator was saturated ends the run (inconclusive: more rounds would not help).
    /// </summary>
    public async Task<LinkAccuracy> MeasureAsync(
        EmulatedLink link, CancellationToken cancellationToken, int minRounds = 2, int maxRounds = 4, double agreementPct = 5)
    {
        var source = _lab.SourceAddresses[link.Name];
        var rtt = await PingAsync(source, cancellationToken);

        // The emulator's delay helper is watched over each round (the first round from the first iperf3 reading on): at
        // a whole core it carries less than the link and varies with the machine, for both tools alike.
        var emulator = WatchEmulator(link);
        var references = new List<(double Down, double Up)> { await IperfPairAsync(source, cancellationToken) };
        var probes = new List<ResultMessage>();
        var senders = new List<SenderShares>();
        var emulatorPeaks = new List<double>();
        LinkAccuracy accuracy;
        do
        {
            emulator ??= WatchEmulator(link);
            var logMark = _speedTest.Output.Length;
            probes.Add(await ProbeMeasureAsync(source, link.Name, cancellationToken));
            senders.Add(SenderShares.Parse(_speedTest.Output[logMark..]));
            references.Add(await IperfPairAsync(source, cancellationToken));
            emulatorPeaks.Add(emulator is null ? double.NaN : await emulator.StopAsync());
            emulator = null;
            accuracy = new LinkAccuracy(link, rtt, [.. references], [.. probes], [.. senders], [.. emulatorPeaks]);
        }
        while (probes.Count < maxRounds && accuracy.EmulatorSaturatedRounds == 0
               && (probes.Count < minRounds || !accuracy.RoundsAgree(agreementPct)));

        return accuracy;
    }

    private CpuPeakWatch? WatchEmulator(EmulatedLink link) =>
        _lab.DelayHelpers.TryGetValue(link.Name, out var pid) ? CpuPeakWatch.Start(pid) : null;

    /// <summary>The median of <see cref="PingCount"/> ICMP round trips from <paramref name="source"/> to the server.</summary>
    public async Task<double> PingAsync(IPAddress source, CancellationToken cancellationToken)
    {
        var output = await LinkLab.ExecAsync(_lab.ClientNamespace, "nice",
            [$"-n{ClientNice}", "ping", "-n", "-c", PingCount.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-W", "2", "-I", source.ToString(),
             _lab.ServerAddress.ToString()],
            cancellationToken);
        var samples = PingReply().Matches(output)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToArray();
        return samples.Length == 0 ? throw new InvalidOperationException($"ping printed no round trip: {output}") : LinkAccuracy.Median(samples);
    }

    [GeneratedRegex(@"time=([0-9.]+) ms")]
    private static partial Regex PingReply();

    /// <summary>
    /// The probe's one-shot measurement (the contract's <c>measure --json</c>) from the client namespace, by the
    /// probe as it is shipped: Native AOT. <paramref name="prefix"/> goes before it (e.g. <c>taskset -c 0</c>).
    /// </summary>
    public async Task<ResultMessage> ProbeMeasureAsync(
        IPAddress source, string linkName, CancellationToken cancellationToken, IReadOnlyList<string>? prefix = null)
    {
        var probe = await PublishedProbe.GetAsync(cancellationToken);
        var json = await LinkLab.ExecAsync(_lab.ClientNamespace, prefix?[0] ?? "nice",
            [.. prefix?.Skip(1) ?? [$"-n{ClientNice}"], probe,
             "measure", "--server", ServerUrl.ToString(), "--bind", source.ToString(), "--duration", DurationSeconds.ToString(CultureInfo.InvariantCulture),
             "--warmup", WarmupSeconds.ToString(CultureInfo.InvariantCulture), "--streams", Streams.ToString(CultureInfo.InvariantCulture),
             "--udp-port", UdpPort.ToString(CultureInfo.InvariantCulture), "--link", linkName, "--json"],
            cancellationToken);
        return JsonSerializer.Deserialize(json, ContractsJsonContext.Default.ResultMessage)
            ?? throw new InvalidOperationException("measure printed nothing");
    }

    /// <summary>iperf3 down (<c>-R</c>) then up over <paramref name="source"/>'s link, in Mb/s.</summary>
    public async Task<(double Down, double Up)> IperfPairAsync(IPAddress source, CancellationToken cancellationToken) =>
        (await IperfAsync(source, reverse: true, cancellationToken), await IperfAsync(source, reverse: false, cancellationToken));

    private async Task<double> IperfAsync(IPAddress source, bool reverse, CancellationToken cancellationToken)
    {
        string[] arguments =
        [
            $"-n{ClientNice}", "iperf3", "-c", _lab.ServerAddress.ToString(), "-B", source.ToString(), "-P", Streams.ToString(CultureInfo.InvariantCulture),
            "-O", WarmupSeconds.ToString(CultureInfo.InvariantCulture), "-t", (DurationSeconds - WarmupSeconds).ToString(CultureInfo.InvariantCulture), "-J",
            "--connect-timeout", "5000", .. reverse ? new[] { "-R" } : [],
        ];

        // iperf3 3.12 can wait forever on a lost control message, and its server can still be "busy" with a client it
        // has not cleaned up: each run is bounded, and one that hangs or reports no reading (a harness fault, not a
        // reading) is run again, twice at most. A reading, once taken, always counts.
        for (var attempt = 1; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(DurationSeconds * 4));
            try
            {
                var json = await LinkLab.ExecAsync(_lab.ClientNamespace, "nice", arguments, timeout.Token);
                var report = JsonNode.Parse(json);
                return report?["end"]?["sum_received"]?["bits_per_second"]?.GetValue<double>() / 1e6
                    ?? throw new IperfFaultException($"iperf3 gave no reading: {report?["error"]?.GetValue<string>() ?? json[..Math.Min(300, json.Length)]}");
            }
            catch (Exception ex) when (attempt < 3 && !cancellationToken.IsCancellationRequested
                                       && ex is OperationCanceledException or IperfFaultException or InvalidOperationException)
            {
                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
            }
        }
    }

    private sealed class IperfFaultException(string message) : Exception(message);

    public async ValueTask DisposeAsync()
    {
        await _speedTest.DisposeAsync();
        await _iperf.DisposeAsync();
        await _lab.DisposeAsync();
    }
}
