using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>The probe against iperf3 and ping on emulated links (root): prints the table the README shows.</summary>
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

        Console.WriteLine($"probe vs iperf3 and ping (-P {AccuracyRun.Streams} -O {AccuracyRun.WarmupSeconds} -t {AccuracyRun.DurationSeconds - AccuracyRun.WarmupSeconds}), same link, same run");
        Console.WriteLine(AccuracyRow.Header);
        foreach (var link in s_links)
        {
            await using var run = await AccuracyRun.StartAsync("bench" + link.Name[..Math.Min(3, link.Name.Length)], [link], cancellationToken);
            Console.WriteLine((await run.MeasureAsync(link, cancellationToken)).ToString());
        }
    }
}
