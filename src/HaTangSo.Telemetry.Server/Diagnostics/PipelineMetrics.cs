using System.Diagnostics.Metrics;
using Hangfire;
using Hangfire.Storage;
using HaTangSo.Telemetry.Server.Ingestion;

namespace HaTangSo.Telemetry.Server.Diagnostics;

/// <summary>
/// The broker connection as gauges for the pipeline dashboard: <c>hts.mqtt.connected</c> (1 while the ingestion client
/// is connected) and <c>hts.mqtt.connection.attempts</c> (every connection attempt since start; a rising count is a
/// flapping connection).
/// </summary>
internal sealed class BrokerMetrics
{
    public BrokerMetrics(IMeterFactory meterFactory, MqttConnectionState state)
    {
        var meter = meterFactory.Create(IngestionMetrics.MeterName);
        meter.CreateObservableGauge("hts.mqtt.connected", () => state.IsConnected ? 1 : 0, "{connection}",
            "1 while the ingestion client is connected to the broker, else 0.");
        meter.CreateObservableCounter("hts.mqtt.connection.attempts", () => state.Generation, "{attempt}",
            "Connection attempts to the broker since the server started.");
    }
}

/// <summary>
/// Hangfire's state as gauges, read from its PostgreSQL storage every 30 s (never inside a scrape): <c>hts.jobs.failed</c>
/// (jobs in the Failed state, as the Hangfire dashboard counts them, until someone deletes or retries them) and
/// <c>hts.jobs.last_success_timestamp</c> per recurring job (when its last successful run was triggered; a run that
/// failed keeps the previous success). Only in instances that run Hangfire (<c>Jobs:Enabled</c>); every instance reads
/// the same storage, so dashboards take the maximum.
/// </summary>
internal sealed class JobMetrics : BackgroundService
{
    private static readonly TimeSpan s_refresh = TimeSpan.FromSeconds(30);
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger<JobMetrics> _logger;
    private readonly Dictionary<string, DateTimeOffset> _lastSuccess = new(StringComparer.Ordinal);
    private volatile IReadOnlyList<(string Job, double Timestamp)> _successes = [];
    private long _failed = -1; // -1 until the first read

    public JobMetrics(IMeterFactory meterFactory, IServiceProvider services, TimeProvider time, ILogger<JobMetrics> logger)
    {
        _services = services;
        _time = time;
        _logger = logger;
        var meter = meterFactory.Create(IngestionMetrics.MeterName);
        meter.CreateObservableGauge("hts.jobs.failed", ObserveFailed, "{job}", "Hangfire jobs in the Failed state.");
        meter.CreateObservableGauge("hts.jobs.last_success_timestamp", ObserveSuccesses, "s",
            "Unix time at which the last successful run of each recurring job was triggered.");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_services.GetService<JobStorage>() is not { } storage)
        {
            return; // Jobs:Enabled=false: this instance runs no jobs and exports no job metrics
        }

        using var timer = new PeriodicTimer(s_refresh, _time);
        do
        {
            try
            {
                Refresh(storage);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Hangfire's storage is PostgreSQL: an outage is reported by /health; the gauges keep their last values.
                _logger.JobMetricsUnavailable(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private void Refresh(JobStorage storage)
    {
        Interlocked.Exchange(ref _failed, storage.GetMonitoringApi().FailedCount());
        using var connection = storage.GetConnection();
        foreach (var job in connection.GetRecurringJobs())
        {
            if (job.LastJobState == "Succeeded" && job.LastExecution is { } at)
            {
                _lastSuccess[job.Id] = new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc));
            }
        }

        _successes = [.. _lastSuccess.Select(e => (e.Key, e.Value.ToUnixTimeMilliseconds() / 1000.0))];
    }

    private IEnumerable<Measurement<long>> ObserveFailed() => Interlocked.Read(ref _failed) is >= 0 and var failed ? [new Measurement<long>(failed)] : [];

    private IEnumerable<Measurement<double>> ObserveSuccesses() =>
        _successes.Select(s => new Measurement<double>(s.Timestamp, new KeyValuePair<string, object?>("job", s.Job)));
}

/// <summary>Logging of <see cref="JobMetrics"/>.</summary>
internal static partial class JobMetricsLog
{
    [LoggerMessage(3710, LogLevel.Warning, "Could not read Hangfire's job statistics for the metrics; they keep their last values")]
    public static partial void JobMetricsUnavailable(this ILogger logger, Exception exception);
}
