using System.Globalization;
using HaTangSo.Telemetry.Probe.Measurement;

namespace HaTangSo.Telemetry.Probe.Cli;

/// <summary>The <c>measure</c> table: one row per step, the running rate shown in place while a transfer runs.</summary>
internal sealed class ConsoleProgress(TextWriter output, bool interactive) : IMeasurementProgress
{
    private readonly Lock _lock = new();

    public void Started(string step)
    {
        if (!interactive)
        {
            return;
        }

        lock (_lock)
        {
            output.Write(Row(step, "..."));
            output.Flush();
        }
    }

    public void Rate(string step, TimeSpan elapsed, double mbps)
    {
        if (!interactive)
        {
            return;
        }

        lock (_lock)
        {
            output.Write("\r" + Row(step, string.Create(CultureInfo.InvariantCulture, $"{mbps,9:0.00} Mb/s  ({elapsed.TotalSeconds:0.0} s)")).PadRight(60));
            output.Flush();
        }
    }

    public void Finished(string step, string summary)
    {
        lock (_lock)
        {
            output.WriteLine("\r" + Row(step, summary).PadRight(60));
        }
    }

    private static string Row(string step, string text) => $"  {step,-10} {text}";
}
