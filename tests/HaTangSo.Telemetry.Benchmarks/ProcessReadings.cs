using System.Globalization;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>What the kernel says about the machine and the processes of a benchmark (/proc).</summary>
internal static class Load
{
    /// <summary>The 1, 5 and 15 minute load averages.</summary>
    public static string Average() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>The process whose command line contains <paramref name="argument"/> (0 if none).</summary>
    public static int ProcessOf(string argument) =>
        Directory.GetDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsDigit)).Select(int.Parse)
            .FirstOrDefault(pid =>
            {
                try
                {
                    return File.ReadAllText($"/proc/{pid}/cmdline").Contains(argument, StringComparison.Ordinal);
                }
                catch (IOException)
                {
                    return false;
                }
            });

    /// <summary>
    /// CPU seconds of <paramref name="pid"/>, of the children it has reaped and of its live children (PostgreSQL: the
    /// postmaster, its backends and workers).
    /// </summary>
    public static double TreeCpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var reaped = (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0;
            var children = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return CpuSeconds(pid) + reaped + children.Sum(c => CpuSeconds(int.Parse(c, CultureInfo.InvariantCulture)));
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Seconds in which some task waited for <paramref name="resource"/> ("io", "cpu", "memory") since boot: the "some"
    /// total of /proc/pressure (0 where the kernel has no pressure stall information).
    /// </summary>
    public static double StalledSeconds(string resource)
    {
        try
        {
            var some = File.ReadLines($"/proc/pressure/{resource}").First(l => l.StartsWith("some ", StringComparison.Ordinal));
            return long.Parse(some[(some.IndexOf("total=", StringComparison.Ordinal) + "total=".Length)..], CultureInfo.InvariantCulture) / 1e6;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
        {
            return 0;
        }
    }

    /// <summary>utime + stime of /proc/{pid}/stat, in seconds (USER_HZ = 100).</summary>
    public static double CpuSeconds(int pid) => HaTangSo.Telemetry.Testing.ProcessCpu.Seconds(pid);
}

/// <summary>
/// Samples a process's resident memory every 250 ms; also reads the kernel's high-water mark. At the sampled peak it keeps
/// when it came and what it was made of (<see cref="PeakMakeUp"/>).
/// </summary>
internal sealed class PeakMemory
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    public PeakMemory(int pid)
    {
        _pid = pid;
        var started = System.Diagnostics.Stopwatch.StartNew();
        _sampling = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var rss = Read(_pid, "VmRSS:");
                if (rss > PeakBytes)
                {
                    PeakBytes = rss;
                    PeakMakeUp = string.Create(
                        CultureInfo.InvariantCulture,
                        $"at {started.Elapsed.TotalSeconds:0.0} s: anonymous {Read(_pid, "RssAnon:") / 1048576.0:0}, files {Read(_pid, "RssFile:") / 1048576.0:0}, shared (code heap) {Read(_pid, "RssShmem:") / 1048576.0:0} MiB");
                }

                await Task.Delay(250).ConfigureAwait(false);
            }
        });
    }

    public long PeakBytes { get; private set; }

    /// <summary>When the sampled peak came (seconds after sampling started) and its RssAnon / RssFile / RssShmem.</summary>
    public string PeakMakeUp { get; private set; } = string.Empty;

    public long HighWaterBytes { get; private set; }

    public void Stop()
    {
        _stop.Cancel();
        _sampling.Wait();
        HighWaterBytes = Read(_pid, "VmHWM:");
        _stop.Dispose();
    }

    /// <summary>A size line of /proc/{pid}/status (VmRSS:, VmHWM:), in bytes; 0 once the process is gone.</summary>
    public static long Read(int pid, string key)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
