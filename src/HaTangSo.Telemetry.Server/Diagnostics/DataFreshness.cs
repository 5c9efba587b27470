using System.Diagnostics.Metrics;

namespace HaTangSo.Telemetry.Server.Diagnostics;

/// <summary>
/// How fresh the data the dashboards read is, per province: the time of the newest result (<c>speedtest</c>), the end of
/// the newest hourly rollup (<c>rollup_hourly</c>) and the newest compliance evaluation (<c>compliance</c>) in InfluxDB.
/// The liveness job refreshes it (every 5 minutes by default) and the gauge <c>hts.data.newest_timestamp</c> exports
/// it, so Grafana computes the age with Prometheus' <c>time()</c> at the moment it draws: a stopped job, an empty
/// database or a dead pipeline shows as a growing age, never as a stale "fresh". With several instances each exports
/// what it saw when it last ran the job; dashboards take the maximum.
/// </summary>
internal sealed class DataFreshness
{
    /// <summary>The measurements whose freshness is exported.</summary>
    public static readonly string[] Measurements = ["speedtest", "rollup_hourly", "compliance"];

    private volatile IReadOnlyDictionary<(string Measurement, string Province), DateTimeOffset> _newest =
        new Dictionary<(string, string), DateTimeOffset>();

    public DataFreshness(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(IngestionMetrics.MeterName);
        meter.CreateObservableGauge("hts.data.newest_timestamp", Observe, "s",
            "Unix time of the newest point the dashboards read, by measurement (speedtest: newest result; rollup_hourly: end of the newest rolled-up hour; compliance: newest evaluation) and province.");
    }

    /// <summary>The newest times seen by the last refresh.</summary>
    public IReadOnlyDictionary<(string Measurement, string Province), DateTimeOffset> Newest => _newest;

    /// <summary>Replaces every value at once (a province or measurement without data drops out).</summary>
    public void Replace(IReadOnlyDictionary<(string Measurement, string Province), DateTimeOffset> newest) => _newest = newest;

    private IEnumerable<Measurement<double>> Observe() =>
        _newest.Select(e => new Measurement<double>(e.Value.ToUnixTimeMilliseconds() / 1000.0,
            new KeyValuePair<string, object?>("measurement", e.Key.Measurement), new KeyValuePair<string, object?>("province", e.Key.Province)));
}
