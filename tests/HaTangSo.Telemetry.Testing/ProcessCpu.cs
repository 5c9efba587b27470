using System.Diagnostics;
using System.Globalization;

namespace HaTangSo.Telemetry.Testing;

/// <summary>A process's CPU time as the kernel counts it (<c>/proc/PID/stat</c>).</summary>
public static class ProcessCpu
{
    /// <summary>utime + stime of <paramref name="pid"/>, in seconds (USER_HZ = 100); 0 once the process is gone.</summary>
    public static double Seconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}

/// <summary>
/// The most of a core a process used in any one second while watched: whether a helper that must keep up (the link
/// emulator's delay helper) was saturated at some point, which an average over a whole round would hide.
/// </summary>
public sealed class CpuPeakWatch
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private double _peakPct;

    private CpuPeakWatch(int pid)
    {
        _sampling = Task.Run(async () =>
        {
            var (wall, cpu) = (Stopwatch.GetTimestamp(), ProcessCpu.Seconds(pid));
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    var (nowWall, nowCpu) = (Stopwatch.GetTimestamp(), ProcessCpu.Seconds(pid));
                    var seconds = Stopwatch.GetElapsedTime(wall, nowWall).TotalSeconds;
                    if (seconds > 0 && nowCpu >= cpu)
                    {
                        _peakPct = Math.Max(_peakPct, (nowCpu - cpu) / seconds * 100);
                    }

                    (wall, cpu) = (nowWall, nowCpu);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    /// <summary>Starts watching <paramref name="pid"/>.</summary>
    public static CpuPeakWatch Start(int pid) => new(pid);

    /// <summary>Stops; the peak one-second share of a core, in % (0 when no whole second was watched).</summary>
    public async Task<double> StopAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
        return Math.Round(_peakPct, 0);
    }
}
