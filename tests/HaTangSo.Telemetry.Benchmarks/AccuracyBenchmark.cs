using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// The probe against iperf3 and ping on emulated links (root), three alternating rounds per link (iperf3, probe,
/// iperf3, …), then the same 100/40 link beside one busy core: prints the table the README shows.
/// </summary>
internal static class AccuracyBenchmark
{
    private static readonly EmulatedLink[] s_links =
    [
        new("adsl", 5, 2, 150),
        new("lte", 20, 10, 50, 1),
        new("ftth", 100, 40, 20),
        new("lossy", 100, 40, 30, 0.5),
        new("gpon", 300, 100, 10),
    ];

    public static async Task RunAsync(CancellationToken cancellationToken)
    {
        if (LinkLab.Unavailable is { } reason)
        {
            Console.WriteLine("accuracy benchmark skipped: " + reason);
            return;
        }

        Console.WriteLine($"probe vs iperf3 and ping (-P {AccuracyRun.Streams} -O {AccuracyRun.WarmupSeconds} -t {AccuracyRun.DurationSeconds - AccuracyRun.WarmupSeconds}), same link, alternating rounds");
        Console.WriteLine(LinkAccuracy.Header);
        foreach (var link in s_links)
        {
            await using var run = await AccuracyRun.StartAsync("bench" + link.Name[..Math.Min(3, link.Name.Length)], [link], cancellationToken);
            Console.WriteLine((await run.MeasureAsync(link, cancellationToken, minRounds: 3, maxRounds: 3)).ToString());
        }

        var busy = new EmulatedLink("busy", 100, 40, 20);
        await using (var run = await AccuracyRun.StartAsync("benchbsy", [busy], cancellationToken))
        await using (BusyLoop.Start(core: 0, nice: 0))
        {
            Console.WriteLine("beside one busy core (a loop on core 0 at the ordinary priority):");
            Console.WriteLine((await run.MeasureAsync(busy, cancellationToken, minRounds: 3, maxRounds: 3)).ToString());
        }
    }
}
