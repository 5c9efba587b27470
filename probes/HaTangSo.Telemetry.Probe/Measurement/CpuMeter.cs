using System.Diagnostics;
using System.Globalization;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>What the box's CPUs did during one transfer.</summary>
/// <param name="ProbePct">CPU time of the probe process, in % of one core.</param>
/// <param name="WaitPct">Time the probe's threads were runnable but waited for a core (run-queue delay, summed over threads), in % of the transfer.</param>
/// <param name="StealPct">CPU time the hypervisor took from this virtual machine, in % of all cores' time.</param>
/// <param name="BusyPct">All cores' time not idle, in %.</param>
/// <param name="StalledPct">Time the probe could not run at all (<see cref="StallWatch"/>), in % of the transfer.</param>
/// <param name="AppLimitedPct">
/// Uploads: time the connections had nothing to send because the probe had not written (<see cref="AppLimitWatch"/>),
/// in %; null for downloads.
/// </param>
internal sealed record CpuLoad(
    double ProbePct, double? WaitPct, double? StealPct, double? BusyPct, double? StalledPct = null, double? AppLimitedPct = null)
{
    /// <summary>
    /// Whether the probe did not keep up with the link because it did not get a core: it could not run at all for at
    /// least a tenth of the transfer, or (uploads) the link waited for it at least a tenth of the time. Threads waiting
    /// for a core is not enough: the kernel counts the bytes and the buffers absorb short waits (on a machine at load 18
    /// the probe read 300 Mb/s within 4 % of iperf3 while its threads waited 55–160 %, and at 3 % of a core beside a
    /// loop at nice −15 it still read 300 Mb/s right).
    /// </summary>
    public bool Bound => StalledPct >= 10 || AppLimitedPct >= 10;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"probe {ProbePct:0}% of a core, waited {WaitPct:0}%, stalled {StalledPct:0}%{(AppLimitedPct is { } a ? $", link waited for the probe {a:0}%" : string.Empty)}, steal {StealPct:0.#}%, machine busy {BusyPct:0}%{(Bound ? " (CPU-bound)" : string.Empty)}");
}

/// <summary>
/// Measures <see cref="CpuLoad"/> over a span, from the process's CPU time, Linux's per-thread scheduler statistics
/// (<c>/proc/self/task/*/schedstat</c>: run-queue delay) and <c>/proc/stat</c> (steal, idle). Where those files do
/// not exist (not Linux) only the process's CPU time is given.
/// </summary>
internal sealed class CpuMeter
{
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly TimeSpan _processCpu;
    private readonly long? _runDelayNs;
    private readonly SystemTicks? _system;

    private CpuMeter(TimeProvider time)
    {
        _time = time;
        _start = time.GetTimestamp();
        _processCpu = ProcessCpu();
        _runDelayNs = RunDelayNs();
        _system = SystemTicks.Read();
    }

    /// <summary>Starts measuring now.</summary>
    public static CpuMeter Start(TimeProvider time) => new(time);

    /// <summary>The load since <see cref="Start"/>.</summary>
    public CpuLoad Stop()
    {
        var wall = _time.GetElapsedTime(_start);
        if (wall <= TimeSpan.Zero)
        {
            return new CpuLoad(0, null, null, null);
        }

        var probe = (ProcessCpu() - _processCpu) / wall * 100;
        double? wait = RunDelayNs() is { } delay && _runDelayNs is { } before ? (delay - before) / 1e6 / wall.TotalMilliseconds * 100 : null;
        var system = SystemTicks.Read();
        double? steal = null, busy = null;
        if (system is { } after && _system is { } first && after.Total > first.Total)
        {
            var total = (double)(after.Total - first.Total);
            steal = (after.Steal - first.Steal) / total * 100;
            busy = (1 - ((after.Idle - first.Idle) / total)) * 100;
        }

        return new CpuLoad(Math.Round(probe, 1), Round(wait), Round(steal), Round(busy));
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 1) : null;

    private static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    // Threads that ended during the span take their delay with them: the figure is a lower bound.
    private static long? RunDelayNs()
    {
        const string tasks = "/proc/self/task";
        if (!Directory.Exists(tasks))
        {
            return null;
        }

        long total = 0;
        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                // "<cpu time ns> <run-queue delay ns> <time slices>"
                var fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                if (fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var delay))
                {
                    total += delay;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The thread ended meanwhile.
            }
        }

        return total;
    }

    /// <summary>The first line of <c>/proc/stat</c>: all cores' time in clock ticks.</summary>
    private readonly record struct SystemTicks(long Total, long Idle, long Steal)
    {
        public static SystemTicks? Read()
        {
            try
            {
                using var reader = new StreamReader("/proc/stat");
                var line = reader.ReadLine();
                if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal))
                {
                    return null;
                }

                // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
                var values = line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(v => long.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
                if (values.Length < 8)
                {
                    return null;
                }

                return new SystemTicks(values.Take(8).Sum(), values[3] + values[4], values[7]);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or OverflowException)
            {
                return null;
            }
        }
    }
}
