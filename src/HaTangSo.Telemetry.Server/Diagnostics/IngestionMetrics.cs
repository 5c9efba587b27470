using System.Diagnostics;
using System.Diagnostics.Metrics;
using HaTangSo.Telemetry.Server.Ingestion;

namespace HaTangSo.Telemetry.Server.Diagnostics;

/// <summary>
/// The ingestion pipeline's instruments (OpenTelemetry naming: lower.dot, UCUM units). One meter per
/// component, created once through <see cref="IMeterFactory"/>.
/// </summary>
internal sealed class IngestionMetrics
{
    public const string MeterName = "HaTangSo.Telemetry.Server";

    private readonly Counter<long> _received;
    private readonly Counter<long> _written;
    private readonly Counter<long> _quarantined;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _dropped;
    private readonly KeyValuePair<string, object?>[] _reasons =
        [.. RefusalKinds.All.Select(k => new KeyValuePair<string, object?>("reason", k.Label()))];
    private readonly Counter<long> _live;
    private readonly UpDownCounter<int> _liveOpen;
    private readonly Counter<long> _liveChanges;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _writeDuration;

    public IngestionMetrics(IMeterFactory meterFactory, IngestionQueue queue, LiveLane live)
    {
        var meter = meterFactory.Create(MeterName);
        _received = meter.CreateCounter<long>("hts.ingest.messages.received", "{message}", "Messages taken from the broker.");
        _written = meter.CreateCounter<long>("hts.ingest.points.written", "{point}", "Points InfluxDB accepted.");
        _quarantined = meter.CreateCounter<long>("hts.ingest.messages.quarantined", "{message}", "Messages refused and kept in quarantine.");
        _retries = meter.CreateCounter<long>("hts.ingest.write.retries", "{retry}", "Writes retried because InfluxDB or PostgreSQL was unavailable.");
        _dropped = meter.CreateCounter<long>("hts.ingest.messages.dropped", "{message}",
            "Messages acknowledged although neither written nor quarantined (the quarantine itself refused them; should stay 0).");
        _batchSize = meter.CreateHistogram<int>("hts.ingest.batch.size", "{message}", "Messages per batch.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000] });
        _writeDuration = meter.CreateHistogram<double>("hts.ingest.write.duration", "s", "Time to make one batch durable (InfluxDB write and quarantine).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _live = meter.CreateCounter<long>("hts.ingest.live.results", "{message}",
            "Results seen by the live lane during a backlog drain, by outcome: taken (written first), copy (its second arrival through the persistent session, only acknowledged), left (the ledger was full; left to the persistent session).");
        _liveOpen = meter.CreateUpDownCounter<int>("hts.ingest.live.open", "{session}", "1 while the live lane (the second, short-lived session) is open.");
        _liveChanges = meter.CreateCounter<long>("hts.ingest.live.changes", "{change}",
            "Times the live lane opened or closed, by change (open, close) and reason (resumed, backlog; caught_up, idle, disconnected, stopping).");
        meter.CreateObservableUpDownCounter("hts.ingest.unacknowledged", () => queue.Unacknowledged + live.Queue.Unacknowledged, "{message}",
            "Messages received and not yet acknowledged to the broker (both sessions: the persistent one and the live lane).");
    }

    public void Received(bool status) => _received.Add(1, new KeyValuePair<string, object?>("kind", status ? "status" : "result"));

    public void LiveTaken() => _live.Add(1, new KeyValuePair<string, object?>("outcome", "taken"));

    public void LiveCopies(int count) => _live.Add(count, new KeyValuePair<string, object?>("outcome", "copy"));

    public void LiveLeftToSession() => _live.Add(1, new KeyValuePair<string, object?>("outcome", "left"));

    public void LiveLaneChanged(bool open, LiveLaneReason reason)
    {
        _liveOpen.Add(open ? 1 : -1);
        _liveChanges.Add(1, new KeyValuePair<string, object?>("change", open ? "open" : "close"), new KeyValuePair<string, object?>("reason", Label(reason)));
    }

    // Fixed labels (never an enum's ToString, so a renamed member cannot rename a series).
    private static string Label(LiveLaneReason reason) => reason switch
    {
        LiveLaneReason.Resumed => "resumed",
        LiveLaneReason.Backlog => "backlog",
        LiveLaneReason.CaughtUp => "caught_up",
        LiveLaneReason.Idle => "idle",
        LiveLaneReason.Disconnected => "disconnected",
        LiveLaneReason.Stopping => "stopping",
        _ => "other",
    };

    public void Written(int points) => _written.Add(points);

    /// <summary>Counts refused messages by the label of their <see cref="RefusalKind"/> (never by parsing text).</summary>
    public void Quarantined(RefusalKind kind, long count = 1) => _quarantined.Add(count, _reasons[(int)kind]);

    public void Dropped() => _dropped.Add(1);

    public void Retry(string target) => _retries.Add(1, new KeyValuePair<string, object?>("target", target));

    public void Batch(int size, TimeSpan duration)
    {
        _batchSize.Record(size);
        _writeDuration.Record(duration.TotalSeconds);
    }
}

/// <summary>The server's activity source (traces).</summary>
internal static class ServerActivity
{
    public static readonly ActivitySource Source = new(IngestionMetrics.MeterName);
}
