using System.Globalization;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// A shell loop that keeps one core busy (what CI's "one busy core" check does by hand), bounded to ten minutes and
/// ended on dispose.
/// </summary>
public static class BusyLoop
{
    /// <summary>At a nice level: it shares the core with the others by weight.</summary>
    public static TestProcess Start(int core, int nice) =>
        TestProcess.Start(
            $"busy loop on core {core}",
            "nice",
            [$"-n{nice.ToString(CultureInfo.InvariantCulture)}", "taskset", "-c", core.ToString(CultureInfo.InvariantCulture),
             "timeout", "600", "sh", "-c", "while :; do :; done"]);

    /// <summary>
    /// Real-time (SCHED_FIFO, priority 1, below the link emulator's 10): the core's ordinary tasks get only what the
    /// kernel's real-time throttling leaves them, 5 % of each second (<c>kernel.sched_rt_runtime_us</c>); two minutes at most.
    /// </summary>
    public static TestProcess StartRealTime(int core) =>
        TestProcess.Start(
            $"real-time busy loop on core {core}",
            "chrt",
            ["-f", "1", "taskset", "-c", core.ToString(CultureInfo.InvariantCulture), "timeout", "120", "sh", "-c", "while :; do :; done"]);
}
