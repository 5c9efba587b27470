using System.Globalization;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// A shell loop that keeps one core busy (what CI's "one busy core" check does by hand), at a given nice level,
/// bounded to ten minutes and ended on dispose.
/// </summary>
public static class BusyLoop
{
    public static TestProcess Start(int core, int nice) =>
        TestProcess.Start(
            $"busy loop on core {core}",
            "nice",
            [$"-n{nice.ToString(CultureInfo.InvariantCulture)}", "taskset", "-c", core.ToString(CultureInfo.InvariantCulture),
             "timeout", "600", "sh", "-c", "while :; do :; done"]);
}
