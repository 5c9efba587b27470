using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using HaTangSo.Telemetry.Server.Alerts;

namespace HaTangSo.Telemetry.IntegrationTests.Dashboards;

/// <summary>
/// A value of every panel, through the panel's own query (Grafana's substitution) on the real InfluxDB, against what the
/// server's API says for the same scope (compliance, alerts, probe status, QCVN 34, quarantine, /metrics), or, where no
/// API serves the figure (raw medians, rollups), against what the test published. The verdict rows in the agreed
/// schema (busy window, per operator, share_at_least) are checked against the rows the environment wrote: the
/// verdicts branch's API is not on main yet.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed partial class DashboardValueTests(DashboardEnvironment environment)
{
    private const string Overview = "province-overview.json";
    private const string Area = "district.json";
    private const string Fleet = "probe-fleet.json";
    private const string ProbeBoard = "probe.json";
    private const string Pipeline = "pipeline-health.json";
    private static readonly string[] s_freshness = ["Newest result (age)", "Last hourly rollup (age)", "Last compliance evaluation (age)"];

    // Every panel title a test below checks, per dashboard; a new panel without a check fails the last test.
    private static readonly Dictionary<string, string[]> s_checked = new(StringComparer.Ordinal)
    {
        [Overview] = [.. s_freshness, "Areas × access below target now", "Open alerts", "Areas by compliance status (circle: fixed, square: mobile)",
            "Areas × access: verdict, value, 95 % interval, target, samples", "Compliance status over time: since when, for how long",
            "Value against the target, per area: $access", "Share of samples at the target speed (share_at_least targets): $access",
            "Open alerts (opened at)", "Alert history (opened and resolved)"],
        [Area] = [.. s_freshness, "Verdict now", "Value against the target: $access", "Operators side by side: $access",
            "Compliance status over time: since when, for how long", "Value against the target over time: $access",
            "Share of samples at the target speed: $access", "Download distribution per operator: p10, median, p90",
            "Peak hours: download of each result (hourly medians of each commune beyond 2 days)", "Latency, jitter and latency under load (medians)",
            "Packet loss (mean of the results)", "Communes and probes (medians of the last 7 days)", "Open alerts (opened at)", "Alert history (opened and resolved)"],
        [Fleet] = [.. s_freshness, "Registered probes by state", "Registered probes: state, since when, last seen", "Probe states over time",
            "Fleet by state over time", "Skipped, failed and partial tests", "Queue depth (results waiting on the probe)", "Queue and agent version (last status)",
            "Last result per probe link and status", "Latest skipped and failed tests", "Open alerts (opened at)", "Alert history (opened and resolved)"],
        [ProbeBoard] = [.. s_freshness, "State, since when, last seen", "State over time", "Download and upload per link",
            "Latency, latency under load and loss per link", "QCVN 34:2022 per fixed link (latest)", "Latest tests", "Open alerts (opened at)",
            "Alert history (opened and resolved)"],
        [Pipeline] = [.. s_freshness, "Broker connection", "Hangfire failed jobs", "Unacknowledged backlog now", "Messages received", "Points written to InfluxDB",
            "InfluxDB write errors", "Quarantine rate", "Quarantined messages by reason", "Unacknowledged backlog", "Broker connection attempts",
            "Batch write duration (durable write)", "Mean batch write duration", "Median batch size", "Job age: time since each recurring job last succeeded"],
    };

    [Fact]
    public void Every_panel_of_every_dashboard_has_a_value_check()
    {
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            Assert.Equal(s_checked[file].Order(StringComparer.Ordinal), GrafanaFiles.Panels(json).Select(p => GrafanaFiles.Title(p)).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task Overview_panels_show_the_verdicts_and_alerts_of_the_api()
    {
        var selection = DashboardQueries.ThachHa(environment);
        var api = await ApiAsync("/api/compliance/42?area=former-district");
        var verdicts = api.EnumerateArray().ToList();
        Assert.NotEmpty(verdicts);

        var below = await RowsAsync(Overview, "Areas × access below target now", "A", selection);
        Assert.Equal(verdicts.Count(v => v.GetProperty("status").GetString() == "below"), (int)Assert.Single(below).D("count")!);

        var open = (await ApiAsync("/api/alerts?state=open&province=42")).EnumerateArray().ToList();
        Assert.Equal(open.Count, (int)Assert.Single(await RowsAsync(Overview, "Open alerts", "A", selection)).D("count")!);

        foreach (var (refId, access) in new[] { ("A", "fixed"), ("B", "mobile") })
        {
            var markers = await RowsAsync(Overview, "Areas by compliance status (circle: fixed, square: mobile)", refId, selection);
            Assert.Equal(verdicts.Count(v => v.GetProperty("access").GetString() == access), markers.Count);
            Assert.All(markers, m => Assert.Equal(Verdict(verdicts, m.S("area"), access).GetProperty("status").GetString(), m.S("status")));
        }

        var names = await RowsAsync(Overview, "Areas by compliance status (circle: fixed, square: mobile)", "N", selection);
        Assert.Equal("Huyện Thạch Hà", names.Single(n => n.S("area") == "445").S("name"));

        var table = await RowsAsync(Overview, "Areas × access: verdict, value, 95 % interval, target, samples", "A", selection);
        Assert.Equal(verdicts.Count, table.Count);
        foreach (var row in table)
        {
            var expected = Verdict(verdicts, row.S("area"), row.S("access"));
            Assert.Equal(expected.GetProperty("status").GetString(), row.S("status"));
            Assert.Equal(expected.GetProperty("samples").GetInt32(), (int)row.D("samples")!);
            Assert.Equal(Number(expected, "value"), row.D("value"));
            Assert.Equal(Number(expected, "threshold"), row.D("target"));
            Assert.Equal(expected.GetProperty("evaluatedAt").GetDateTimeOffset(), row.Time()); // "since when" of the last evaluation
        }

        Assert.Contains(table, r => (r.S("area"), r.S("access"), r.S("status")) == ("445", "fixed", "below"));
        Assert.Contains(table, r => (r.S("area"), r.S("status")) == ("436", "met"));
        Assert.Contains(table, r => (r.S("area"), r.S("status")) == ("437", "insufficient_data"));

        var timeline = await RowsAsync(Overview, "Compliance status over time: since when, for how long", "A", selection);
        foreach (var series in timeline.GroupBy(r => (r.S("area"), r.S("access"))))
        {
            Assert.Equal(Verdict(verdicts, series.Key.Item1, series.Key.Item2).GetProperty("status").GetString(),
                series.Where(r => r.S("last").Length > 0).MaxBy(r => r.Time())!.S("last"));
        }

        Assert.Equal(verdicts.Count, timeline.Select(r => (r.S("area"), r.S("access"))).Distinct().Count());
        var values = await RowsAsync(Overview, "Value against the target, per area: $access", "A", selection, repeat: "fixed");
        var below445 = Verdict(verdicts, "445", "fixed");
        Assert.Equal(Number(below445, "value"), values.Where(r => r.S("area") == "445").MaxBy(r => r.Time())!.D("value"));
        var target = await RowsAsync(Overview, "Value against the target, per area: $access", "B", selection, repeat: "fixed");
        Assert.Equal(Number(below445, "threshold"), target.MaxBy(r => r.Time())!.D("max"));

        var busy = DashboardQueries.ThachHa(environment, "busy");
        var share = DashboardEnvironment.BusyVerdicts.Single(v => v.Statistic == "share_at_least");
        Assert.Equal(share.Value, (await RowsAsync(Overview, "Share of samples at the target speed (share_at_least targets): $access", "A", busy, repeat: "fixed")).MaxBy(r => r.Time())!.D("value"));
        Assert.Equal(share.Threshold, (await RowsAsync(Overview, "Share of samples at the target speed (share_at_least targets): $access", "B", busy, repeat: "fixed")).MaxBy(r => r.Time())!.D("max"));

        await AssertAlertTablesAsync(Overview, selection, open.Where(a => a.GetProperty("kind").GetString() == "district_below").ToList());
    }

    [Fact]
    public async Task Area_panels_show_the_area_verdict_and_what_its_probes_measured()
    {
        var selection = DashboardQueries.ThachHa(environment);
        var api = (await ApiAsync("/api/compliance/42/former-district/445")).EnumerateArray().ToList();
        var fixedVerdict = api.Single(v => v.GetProperty("access").GetString() == "fixed");

        var now = await RowsAsync(Area, "Verdict now", "A", selection);
        Assert.Equal(api.Select(v => (v.GetProperty("access").GetString()!, v.GetProperty("status").GetString()!)).Order(),
            now.Select(r => (r.S("access"), r.S("last"))).Order());
        var value = Assert.Single(await RowsAsync(Area, "Value against the target: $access", "A", selection, repeat: "fixed"));
        Assert.Equal(Number(fixedVerdict, "value"), value.D("value"));
        var config = Assert.Single(await RowsAsync(Area, "Value against the target: $access", "B", selection, repeat: "fixed"));
        Assert.Equal((0.0, Number(fixedVerdict, "threshold")), (config.D("floor")!.Value, config.D("threshold")));

        var timeline = await RowsAsync(Area, "Compliance status over time: since when, for how long", "A", selection);
        Assert.Equal("below", timeline.Where(r => r.S("access") == "fixed" && r.S("last").Length > 0).MaxBy(r => r.Time())!.S("last"));
        var overTime = await RowsAsync(Area, "Value against the target over time: $access", "A", selection, repeat: "fixed");
        Assert.Equal(Number(fixedVerdict, "value"), overTime.MaxBy(r => r.Time())!.D("value"));

        // The agreed-schema rows: per operator, share_at_least.
        var busy = DashboardQueries.ThachHa(environment, "busy");
        var operators = await RowsAsync(Area, "Operators side by side: $access", "A", busy, repeat: "fixed");
        Assert.Equal(DashboardEnvironment.BusyVerdicts.Where(v => v.Access == "fixed" && v.Operator != "all" && v.Statistic == "mean").Select(v => (v.Operator, v.Value)).Order(),
            operators.Select(r => (r.S("operator"), r.D("last")!.Value)).Order());
        Assert.Equal(150, Assert.Single(await RowsAsync(Area, "Operators side by side: $access", "B", busy, repeat: "fixed")).D("threshold"));
        Assert.Equal(12.5, (await RowsAsync(Area, "Share of samples at the target speed: $access", "A", busy, repeat: "fixed")).MaxBy(r => r.Time())!.D("value"));

        // Raw results (1 day: query A), hourly rollups (the seeded 4 days: query B).
        var (_, dayFrom, dayTo) = DashboardQueries.Ranges(environment)[0];
        var raw = await RowsAsync(Area, "Download distribution per operator: p10, median, p90", "A", selection, dayFrom, dayTo);
        var last = raw.Where(r => r.S("access") == "fixed" && r.S("operator") == "VNPT").MaxBy(r => r.Time())!;
        var interval = GrafanaFiles.Interval(dayTo - dayFrom, "15m");
        Assert.Equal(Median(Ok("445", last.Time(), last.Time() + interval, dayFrom, dayTo, "fixed", "VNPT").Select(r => r.Download!.Value)), last.D("median")!.Value, 6);
        var hourly = await RowsAsync(Area, "Download distribution per operator: p10, median, p90", "B", selection);
        var hour = hourly.Where(r => r.S("access") == "fixed" && r.S("operator") == "VNPT").MaxBy(r => r.Time())!;
        var hourStart = new DateTimeOffset(hour.Time().UtcTicks / TimeSpan.TicksPerHour * TimeSpan.TicksPerHour, TimeSpan.Zero);
        Assert.Equal(Median(Ok("445", hourStart, hourStart.AddHours(1), null, null, "fixed", "VNPT").Select(r => r.Download!.Value)), hour.D("median")!.Value, 6);

        var heat = await RowsAsync(Area, "Peak hours: download of each result (hourly medians of each commune beyond 2 days)", "A", selection, dayFrom, dayTo);
        Assert.Equal(Ok("445", dayFrom, dayTo, dayFrom, dayTo).Count(r => r.Download is not null), heat.Count);

        var latency = await RowsAsync(Area, "Latency, jitter and latency under load (medians)", "A", selection, dayFrom, dayTo);
        var lastLatency = latency.Where(r => r.S("access") == "mobile").MaxBy(r => r.Time())!;
        Assert.Equal(Median(Ok("445", lastLatency.Time(), lastLatency.Time() + interval, dayFrom, dayTo, "mobile").Select(r => r.Latency!.Value)), lastLatency.D("latency")!.Value, 6);

        var loss = await RowsAsync(Area, "Packet loss (mean of the results)", "A", selection);
        var lastLoss = loss.Where(r => r.S("access") == "fixed").MaxBy(r => r.Time())!;
        var lossInterval = GrafanaFiles.Interval(environment.RangeTo - environment.RangeFrom, "1h");
        Assert.Equal(Ok("445", lastLoss.Time(), lastLoss.Time() + lossInterval, null, null, "fixed").Average(r => r.Loss!.Value), lastLoss.D("loss")!.Value, 9);

        var probes = await RowsAsync(Area, "Communes and probes (medians of the last 7 days)", "A", selection);
        foreach (var row in probes)
        {
            var results = Ok("445", environment.RangeTo.AddDays(-7), environment.RangeTo).Where(r => r.Probe.Id == row.S("probe") && r.Link.Name == row.S("link")).ToList();
            Assert.Equal(results.Count, (int)row.D("samples")!);
            Assert.Equal(Median(results.Select(r => r.Download!.Value)), row.D("download")!.Value, 6);
            Assert.Equal("18409", row.S("commune")); // both probes of Thạch Hà are in today's Xã Hồng Lộc (old 18412 counts there)
        }

        Assert.Equal(4, probes.Count); // two probes, two links each
        var open = (await ApiAsync("/api/alerts?state=open&province=42")).EnumerateArray().Where(a => a.GetProperty("areaCode").GetString() == "445" && a.GetProperty("kind").GetString() == "district_below").ToList();
        await AssertAlertTablesAsync(Area, selection, open);
    }

    [Fact]
    public async Task Fleet_panels_count_every_registered_probe_in_the_state_the_api_implies()
    {
        var selection = new Dictionary<string, string>(DashboardQueries.ThachHa(environment), StringComparer.Ordinal) { ["area"] = ".*", ["commune"] = ".*" };
        var status = (await ApiAsync("/api/probes/status?province=42")).EnumerateArray().ToList();
        Assert.Equal(6, status.Count);
        // The state each probe must be in, derived from the API's own fields (RIPE Atlas' model, 2 × a 30-minute schedule).
        var now = environment.RangeTo.AddHours(-1); // the last liveness run (the environment advanced an hour after it)
        string Expected(JsonElement p) => !p.GetProperty("enabled").GetBoolean() ? "disabled"
            : p.GetProperty("lastSeen").ValueKind == JsonValueKind.Null ? "never_seen"
            : p.GetProperty("state").GetString() == "offline" ? "offline"
            : now - p.GetProperty("lastSeen").GetDateTimeOffset() > TimeSpan.FromMinutes(60) ? "stale" : "online";
        var expected = status.ToDictionary(p => p.GetProperty("probeId").GetString()!, Expected, StringComparer.Ordinal);
        Assert.Equal(["disabled", "never_seen", "online", "online", "online", "stale"], expected.Values.Order(StringComparer.Ordinal));

        var counts = Assert.Single(await RowsAsync(Fleet, "Registered probes by state", "A", selection));
        foreach (var state in ProbeLivenessStates.All.Select(s => s.ToName()))
        {
            Assert.Equal(expected.Values.Count(v => v == state), (int)counts.D(state)!);
        }

        var table = await RowsAsync(Fleet, "Registered probes: state, since when, last seen", "A", selection);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), table.Select(r => r.S("probe")).Order(StringComparer.Ordinal));
        foreach (var row in table)
        {
            var api = status.Single(p => p.GetProperty("probeId").GetString() == row.S("probe"));
            Assert.Equal(expected[row.S("probe")], row.S("state"));
            var lastSeen = api.GetProperty("lastSeen").ValueKind == JsonValueKind.Null ? (double?)null : api.GetProperty("lastSeen").GetDateTimeOffset().ToUnixTimeMilliseconds();
            Assert.Equal(lastSeen, row.D("last_seen"));
            var since = DateTimeOffset.FromUnixTimeMilliseconds((long)row.D("since")!);
            switch (row.S("state"))
            {
                case "stale": Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds((long)lastSeen!) + TimeSpan.FromMinutes(60), since); break;
                case "never_seen": Assert.Equal(DashboardEnvironment.ResultsStart, since); break;
                case "disabled": Assert.Equal(DashboardEnvironment.RevokedAt, since); break;
                default: Assert.True(since <= now); break;
            }
        }

        var states = await RowsAsync(Fleet, "Probe states over time", "A", selection);
        Assert.All(states.Where(r => r.S("last").Length > 0).GroupBy(r => r.S("probe")), g => Assert.Equal(expected[g.Key], g.MaxBy(r => r.Time())!.S("last")));
        var overTime = (await RowsAsync(Fleet, "Fleet by state over time", "A", selection)).MaxBy(r => r.Time())!;
        Assert.Equal((3, 1, 0, 1), ((int)overTime.D("online")!, (int)overTime.D("stale")!, (int)overTime.D("offline")!, (int)overTime.D("never_seen")!));

        var failed = await RowsAsync(Fleet, "Skipped, failed and partial tests", "A", selection);
        var inRange = environment.Published.Where(r => r.Probe.Province == "42" && r.Started >= environment.RangeFrom && r.Started <= environment.RangeTo).ToList();
        foreach (var kind in new[] { "skipped", "failed" })
        {
            Assert.Equal(inRange.Count(r => r.Status == kind), (int)failed.Where(r => r.S("status") == kind).Sum(r => r.D("count") ?? 0));
        }

        var queue = await RowsAsync(Fleet, "Queue depth (results waiting on the probe)", "A", selection);
        var versions = await RowsAsync(Fleet, "Queue and agent version (last status)", "A", selection);
        foreach (var api in status.Where(p => p.GetProperty("queueDepth").ValueKind == JsonValueKind.Number))
        {
            var id = api.GetProperty("probeId").GetString();
            Assert.Equal(api.GetProperty("queueDepth").GetInt64(), (long)queue.Where(r => r.S("probe") == id).MaxBy(r => r.Time())!.D("last")!);
            var version = versions.Single(r => r.S("probe") == id);
            Assert.Equal(api.GetProperty("agentVersion").GetString(), version.S("agent version"));
            Assert.Equal(api.GetProperty("queueDepth").GetInt64(), (long)version.D("queue depth")!);
        }

        var lastResults = await RowsAsync(Fleet, "Last result per probe link and status", "A", selection);
        foreach (var row in lastResults)
        {
            Assert.Equal(inRange.Where(r => r.Probe.Id == row.S("probe") && r.Link.Name == row.S("link") && r.Status == row.S("status")).Max(r => r.Started), row.Time());
        }

        var errors = await RowsAsync(Fleet, "Latest skipped and failed tests", "A", selection);
        var newest = errors.MaxBy(r => r.Time())!;
        var published = inRange.Where(r => r.Status != "ok").MaxBy(r => r.Started)!;
        Assert.Equal((published.Started, published.Error), (newest.Time(), newest.S("error")));

        var silent = (await ApiAsync("/api/alerts?state=open&province=42")).EnumerateArray().Where(a => a.GetProperty("kind").GetString()!.StartsWith("probe_", StringComparison.Ordinal)).ToList();
        Assert.Contains(silent, a => a.GetProperty("probeId").GetString() == DashboardEnvironment.SilentProbe);
        await AssertAlertTablesAsync(Fleet, selection, silent);
    }

    [Fact]
    public async Task Probe_panels_show_the_state_results_and_verdicts_of_one_probe()
    {
        // The offline probe of Lai Châu, both of its links (the probe board's access variable on "All").
        var selection = new Dictionary<string, string>(DashboardQueries.LaiChau(environment), StringComparer.Ordinal) { ["access"] = ".*" };
        var probe = DashboardEnvironment.OfflineProbe;
        var status = (await ApiAsync("/api/probes/status?province=12")).EnumerateArray().Single(p => p.GetProperty("probeId").GetString() == probe);
        Assert.Equal("offline", status.GetProperty("state").GetString());
        var state = Assert.Single(await RowsAsync(ProbeBoard, "State, since when, last seen", "A", selection));
        Assert.Equal("offline", state.S("state"));
        Assert.Equal(status.GetProperty("lastSeen").GetDateTimeOffset().ToUnixTimeMilliseconds(), (long)state.D("since")!); // since its last will
        Assert.Equal("offline", (await RowsAsync(ProbeBoard, "State over time", "A", selection)).Where(r => r.S("last").Length > 0).MaxBy(r => r.Time())!.S("last"));

        var (_, dayFrom, dayTo) = DashboardQueries.Ranges(environment)[0];
        var interval = GrafanaFiles.Interval(dayTo - dayFrom, "15m");
        var mine = environment.Published.Where(r => r.Probe.Id == probe && r.Status == "ok").ToList();
        var speeds = (await RowsAsync(ProbeBoard, "Download and upload per link", "A", selection, dayFrom, dayTo)).Where(r => r.S("link") == "fixed").MaxBy(r => r.Time())!;
        Assert.Equal(mine.Where(r => r.Link.Name == "fixed" && r.Started >= speeds.Time() && r.Started < speeds.Time() + interval).Average(r => r.Download!.Value), speeds.D("download")!.Value, 6);
        var latency = (await RowsAsync(ProbeBoard, "Latency, latency under load and loss per link", "A", selection, dayFrom, dayTo)).Where(r => r.S("link") == "modem").MaxBy(r => r.Time())!;
        Assert.Equal(Median(mine.Where(r => r.Link.Name == "modem" && r.Started >= latency.Time() && r.Started < latency.Time() + interval).Select(r => r.Latency!.Value)), latency.D("latency")!.Value, 6);

        var qcvn = (await ApiAsync($"/api/compliance/qcvn34?probe={probe}")).EnumerateArray().Single(q => q.GetProperty("link").GetString() == "fixed");
        var row = Assert.Single(await RowsAsync(ProbeBoard, "QCVN 34:2022 per fixed link (latest)", "A", selection));
        Assert.Equal(qcvn.GetProperty("status").GetString(), row.S("QCVN 34"));
        Assert.Equal(qcvn.GetProperty("meanDownloadMbps").GetDouble(), row.D("mean")!.Value, 6);
        Assert.Equal(qcvn.GetProperty("evaluatedAt").GetDateTimeOffset(), row.Time());

        var tests = await RowsAsync(ProbeBoard, "Latest tests", "A", selection);
        var newest = environment.Published.Where(r => r.Probe.Id == probe && r.Started <= environment.RangeTo).MaxBy(r => r.Started)!;
        var first = tests.MaxBy(r => r.Time())!;
        Assert.Equal((newest.Started, newest.Status, newest.Download), (first.Time(), first.S("status"), first.D("download_mbps")));

        var alerts = (await ApiAsync("/api/alerts?state=open&province=12")).EnumerateArray().Where(a => a.GetProperty("probeId").GetString() == probe).ToList();
        Assert.Contains(alerts, a => a.GetProperty("kind").GetString() == "probe_silent");
        await AssertAlertTablesAsync(ProbeBoard, selection, alerts);
    }

    [Fact]
    public async Task Pipeline_and_freshness_metrics_equal_what_the_server_and_its_data_say()
    {
        var ct = TestContext.Current.CancellationToken;
        var metrics = Metrics(await environment.Server.Http.GetStringAsync("/metrics", ct));
        double Metric(string name, params (string Key, string Value)[] labels) =>
            metrics.Where(m => m.Name == name && labels.All(l => m.Labels.GetValueOrDefault(l.Key) == l.Value)).Sum(m => m.Value);

        // Freshness (every dashboard's header): the newest result, rollup hour and evaluation of Hà Tĩnh.
        var newestResult = environment.Published.Where(r => r.Probe.Province == "42" && r.Probe.Id != DashboardEnvironment.RevokedProbe).Max(r => r.Started);
        Assert.True(newestResult.ToUnixTimeMilliseconds() / 1000.0 == Metric("hts_data_newest_timestamp_seconds", ("measurement", "speedtest"), ("province", "42")),
            $"{newestResult:O}: " + string.Join('\n', metrics.Where(m => m.Name.StartsWith("hts_data", StringComparison.Ordinal)).Select(m => $"{m.Name} {string.Join(',', m.Labels)} {m.Value}")));
        var evaluated = (await ApiAsync("/api/compliance/42?area=former-district")).EnumerateArray().Max(v => v.GetProperty("evaluatedAt").GetDateTimeOffset());
        // The liveness job ran after each evaluation: it saw the evaluation of its own hour.
        Assert.Equal(evaluated.ToUnixTimeMilliseconds() / 1000.0, Metric("hts_data_newest_timestamp_seconds", ("measurement", "compliance"), ("province", "42")));
        var rollup = Assert.Single(await environment.Context.Influx.QueryRowsAsync("SELECT last(\"count\") FROM \"rollup_hourly\" WHERE \"province\" = '42'", ct));
        Assert.Equal(rollup.Time().AddHours(1).ToUnixTimeMilliseconds() / 1000.0, Metric("hts_data_newest_timestamp_seconds", ("measurement", "rollup_hourly"), ("province", "42")));

        using var health = JsonDocument.Parse(await environment.Server.Http.GetStringAsync("/health", ct));
        Assert.Equal(1, Metric("hts_mqtt_connected"));
        Assert.True(Metric("hts_mqtt_connection_attempts_total") >= 1);
        Assert.Equal("Healthy", health.RootElement.GetProperty("status").GetString());
        Assert.Equal(0, Metric("hts_ingest_unacknowledged"));

        var quarantine = (await ApiAsync("/api/quarantine")).EnumerateArray().ToList();
        Assert.Equal(quarantine.Count, Metric("hts_ingest_messages_quarantined_total"));
        Assert.Equal(quarantine.Count(q => q.GetProperty("reason").GetString()!.StartsWith("invalid JSON", StringComparison.Ordinal)), Metric("hts_ingest_messages_quarantined_total", ("reason", "invalid_json")));
        Assert.Equal(quarantine.Count(q => q.GetProperty("reason").GetString()!.StartsWith("InfluxDB", StringComparison.Ordinal)), Metric("hts_ingest_messages_quarantined_total", ("reason", "influxdb_refused")));
        var received = Metric("hts_ingest_messages_received_total", ("kind", "result"));
        Assert.Equal(environment.ResultCount + 1, received); // every result and the malformed one
        var statusPoints = Assert.Single(await environment.Context.Influx.QueryRowsAsync("SELECT count(\"online\") FROM probe_status", ct)).D("count")!.Value;
        Assert.Equal(statusPoints, Metric("hts_ingest_messages_received_total", ("kind", "status")));
        Assert.Equal(environment.ResultCount + statusPoints, Metric("hts_ingest_points_written_total"));
        Assert.Equal(0, Metric("hts_ingest_write_retries_total", ("target", "InfluxDB")));
        Assert.Equal(Metric("hts_ingest_batch_size_count"), Metric("hts_ingest_write_duration_seconds_count"));
        Assert.Equal(received + statusPoints, Metric("hts_ingest_batch_size_sum"));
        Assert.True(Metric("hts_ingest_write_duration_seconds_sum") > 0);
        // Hangfire failed jobs and job age: HangfireTests, on the real server process that runs Hangfire.
    }

    private async Task AssertAlertTablesAsync(string file, Dictionary<string, string> selection, List<JsonElement> apiOpen)
    {
        Assert.NotEmpty(apiOpen);
        var open = await RowsAsync(file, "Open alerts (opened at)", "A", selection);
        var history = await RowsAsync(file, "Alert history (opened and resolved)", "A", selection);
        foreach (var alert in apiOpen)
        {
            var id = alert.GetProperty("id").GetInt64(); // alert_id is an integer field of alert_events
            var row = open.Single(r => r.D("alert") == id);
            Assert.Equal(alert.GetProperty("openedAt").GetDateTimeOffset(), row.Time());
            Assert.Equal(alert.GetProperty("summary").GetString(), row.S("text"));
            Assert.Contains(history, h => h.S("event") == "opened" && h.Time() == alert.GetProperty("openedAt").GetDateTimeOffset() && h.S("text") == alert.GetProperty("summary").GetString());
        }
    }

    private Task<List<IReadOnlyDictionary<string, JsonElement>>> RowsAsync(
        string file, string title, string refId, Dictionary<string, string> selection, DateTimeOffset? from = null, DateTimeOffset? to = null, string repeat = "fixed") =>
        DashboardQueries.RowsAsync(environment, file, title, refId, selection, from, to, repeat);

    private async Task<JsonElement> ApiAsync(string path)
    {
        using var document = JsonDocument.Parse(await environment.Server.Http.GetStringAsync(path, TestContext.Current.CancellationToken));
        return document.RootElement.Clone();
    }

    private static JsonElement Verdict(List<JsonElement> verdicts, string area, string access) =>
        verdicts.Single(v => v.GetProperty("areaCode").GetString() == area && v.GetProperty("access").GetString() == access);

    private static double? Number(JsonElement e, string property) =>
        e.GetProperty(property).ValueKind == JsonValueKind.Number ? e.GetProperty(property).GetDouble() : null;

    /// <summary>The ok results of a former district's probes in [from, to) (and the range), optionally of one access and operator.</summary>
    private List<PublishedResult> Ok(string district, DateTimeOffset from, DateTimeOffset to, DateTimeOffset? rangeFrom = null, DateTimeOffset? rangeTo = null,
        string? access = null, string? op = null) =>
        [.. environment.Published.Where(r => r.Status == "ok" && r.Probe.District == district && r.Started >= from && r.Started < to
            && (rangeFrom is null || r.Started >= rangeFrom) && (rangeTo is null || r.Started <= rangeTo)
            && (access is null || r.Link.Access == access) && (op is null || r.Link.Operator == op))];

    /// <summary>InfluxDB's median: the middle value, or the mean of the two middle values.</summary>
    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        Assert.NotEmpty(sorted);
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static List<(string Name, Dictionary<string, string> Labels, double Value)> Metrics(string scrape) =>
        [.. scrape.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => MetricLine().Match(l)).Where(m => m.Success).Select(m => (
            m.Groups["name"].Value,
            LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(p => p.Groups[1].Value, p => p.Groups[2].Value, StringComparer.Ordinal),
            double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))];

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[^ ]+)")]
    private static partial Regex MetricLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
