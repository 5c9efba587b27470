using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Diagnostics;

/// <summary>Console logging, one line per event (journald adds the time and the unit).</summary>
internal static class Logging
{
    public static ILoggerFactory CreateFactory() => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(Environment.GetEnvironmentVariable("HTS_PROBE_LOG_LEVEL") is { } level && Enum.TryParse<LogLevel>(level, true, out var parsed) ? parsed : LogLevel.Information)
        .AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ssZ ";
            options.UseUtcTimestamp = true;
        }));
}
