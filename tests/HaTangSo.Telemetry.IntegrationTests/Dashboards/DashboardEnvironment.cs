using System.Net.Http.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.IntegrationTests.Compliance;
using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.IntegrationTests.Dashboards;

/// <summary>A link of a seeded probe: its median download and the operator behind it.</summary>
internal sealed record SeedLink(string Name, string Access, string Operator, string Technology, double Download);

/// <summary>A seeded probe in a commune, with its links; <see cref="Results"/> per link over the seeded days.</summary>
internal sealed record SeedProbe(string Id, string Province, string District, string Commune, int Results, params SeedLink[] Links);

/// <summary>A result the environment published (every status), to compute what a panel must show.</summary>
internal sealed record PublishedResult(
    SeedProbe Probe, SeedLink Link, DateTimeOffset Started, string Status, double? Download, double? Upload, double? Latency, double? Jitter,
    double? Loss, double? LoadedLatency, string? Error);

/// <summary>
/// A compliance row in the schema agreed with the verdicts branch (issue 13: operator, statistic, weighting, interval,
/// links, the <c>busy</c> window), which the server on main does not write yet: written by the test at the evaluation
/// hours for former district 445, window <c>busy</c>, so the per-operator and share panels have their data.
/// </summary>
internal sealed record AgreedVerdict(
    string Access, string Operator, string Statistic, double Value, double CiLow, double CiHigh, double Threshold, string Status, long Samples, long Links);

/// <summary>
/// Four days of results from probes in Hà Tĩnh and Lai Châu, published over MQTT to the real server (in process, fake
/// clock), probe statuses, then the server's own rollup, compliance, liveness and notification jobs: every measurement
/// the dashboards read, written the way production writes it. Shared by the dashboard query and overview page tests.
/// </summary>
public sealed class DashboardEnvironment(PostgresFixture postgres, InfluxDbFixture influx) : IAsyncLifetime
{
    /// <summary>The end of the seeded results (Vietnam time 11:00 on 20 March 2026); they start four days earlier.</summary>
    public static readonly DateTimeOffset ResultsEnd = new(2026, 3, 20, 4, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset ResultsStart = ResultsEnd.AddDays(-4);

    internal static readonly SeedProbe[] Probes =
    [
        // Thạch Hà (445): the fixed lines are below Hà Tĩnh's 150 Mb/s target.
        new("ht-thach-ha-01", "42", "445", "18409", 192, new SeedLink("fixed", "fixed", "VNPT", "ftth", 105), new SeedLink("modem", "mobile", "Viettel", "4g", 62)),
        new("ht-thach-ha-02", "42", "445", "18412", 192, new SeedLink("fixed", "fixed", "Viettel", "ftth", 118), new SeedLink("modem", "mobile", "MobiFone", "5g", 140)),
        // Thành phố Hà Tĩnh (436): above both targets.
        new("ht-tp-ha-tinh-01", "42", "436", "18073", 192, new SeedLink("fixed", "fixed", "VNPT", "ftth", 230), new SeedLink("modem", "mobile", "Vietnamobile", "4g", 95)),
        // Hồng Lĩnh (437): too few results to judge.
        new("ht-hong-linh-01", "42", "437", "18115", 8, new SeedLink("fixed", "fixed", "VNPT", "xdsl", 40)),
        // Lai Châu (12), Thành phố Lai Châu (105): its plan names no speed target.
        new("lc-lai-chau-01", "12", "105", "03386", 96, new SeedLink("fixed", "fixed", "Viettel", "ftth", 90), new SeedLink("modem", "mobile", "Viettel", "4g", 35)),
    ];

    /// <summary>Registered and never heard of: the liveness job raises a probe_silent alert.</summary>
    public const string SilentProbe = "ht-tp-ha-tinh-02";

    /// <summary>Registered, then revoked (enabled = false) by an operator: the fleet counts it as disabled.</summary>
    public const string RevokedProbe = "ht-thu-hoi-01";

    /// <summary>When <see cref="RevokedProbe"/> was revoked.</summary>
    public static readonly DateTimeOffset RevokedAt = ResultsEnd.AddHours(-6);

    /// <summary>Sends one status message at the start and then nothing: stale once twice its schedule has passed.</summary>
    public const string StaleProbe = "ht-hong-linh-01";

    /// <summary>Its last status says offline (the last will) after its last result.</summary>
    public const string OfflineProbe = "lc-lai-chau-01";

    /// <summary>The verdict rows the test writes in the agreed schema (former district 445, window busy).</summary>
    internal static readonly AgreedVerdict[] BusyVerdicts =
    [
        new("fixed", "all", "mean", 88.4, 80.1, 96.2, 150, "below", 140, 2),
        new("fixed", "VNPT", "mean", 84.2, 74.0, 93.5, 150, "below", 70, 1),
        new("fixed", "Viettel", "mean", 96.7, 84.9, 108.8, 150, "below", 70, 1),
        new("fixed", "all", "share_at_least", 12.5, 7.9, 18.6, 100, "below", 140, 2),
        new("mobile", "all", "mean", 70.2, 61.5, 79.0, 71, "inconclusive", 140, 2),
        new("mobile", "Viettel", "mean", 58.8, 51.0, 66.6, 71, "below", 70, 1),
        new("mobile", "MobiFone", "mean", 84.0, 75.3, 92.4, 71, "met", 70, 1),
    ];

    private ComplianceTestContext? _context;

    internal ComplianceTestContext Context => _context ?? throw new InvalidOperationException("not initialised");

    internal ServerInstance Server { get; private set; } = null!;

    /// <summary>Results written to InfluxDB (every status), and how many of them were ok.</summary>
    public int ResultCount { get; private set; }

    /// <summary>Every result published, in order.</summary>
    internal List<PublishedResult> Published { get; } = [];

    /// <summary>The communes of former district 445 as Grafana writes "All" of the commune variable: (a|b|…).</summary>
    public string ThachHaCommunes { get; private set; } = "";

    /// <summary>The evaluation hours of the compliance job (the times of its points).</summary>
    public List<DateTimeOffset> EvaluationHours { get; } = [];

    /// <summary>The dashboard time range the tests use: the seeded days and the evaluations after them.</summary>
    public DateTimeOffset RangeFrom => ResultsStart;

    public DateTimeOffset RangeTo => Context.Time.GetUtcNow();

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _context = await ComplianceTestContext.CreateAsync(postgres, influx, ResultsEnd.AddMinutes(5), ct);
        _context.Config["Compliance:RollupCatchUpHours"] = "120"; // the four seeded days in one run
        Server = await _context.StartInstanceAsync(ct);
        foreach (var probe in Probes)
        {
            await RegisterAsync(probe.Id, probe.Commune, probe.Links, ct);
        }

        await RegisterAsync(SilentProbe, "18073", [new("fixed", "fixed", "VNPT", "ftth", 100)], ct);
        await RegisterAsync(RevokedProbe, "18073", [new("fixed", "fixed", "Viettel", "ftth", 100)], ct);
        await _context.ExecuteSqlAsync($"UPDATE probes SET created_at = '{ComplianceTestContext.Iso(ResultsStart)}'", ct);
        await _context.ExecuteSqlAsync(
            $"UPDATE probes SET enabled = false, updated_at = '{ComplianceTestContext.Iso(RevokedAt)}' WHERE id = '{RevokedProbe}'", ct);

        await PublishResultsAsync(ct);
        await using var statuses = await StatusPublisher.ConnectAsync(Context, ct);
        // Three rounds ten minutes apart (the server stamps a status with its receive time): the Hồng Lĩnh probe is heard
        // in the first only, the Lai Châu probe's last will says offline in the third.
        for (var round = 0; round < 3; round++)
        {
            await StatusRoundAsync(statuses, Probes.Where(p => round == 0 || p.Id != StaleProbe), round == 2 ? OfflineProbe : null, ct);
            Context.Advance(TimeSpan.FromMinutes(10));
        }

        // The jobs, as Hangfire runs them: rollups, then three hourly compliance evaluations (the second "below" in a
        // row opens Thạch Hà's alert), liveness (the silent probe) and the notifications (alert_events for Grafana). The
        // probes still reporting send a status before each liveness run.
        _context.Advance(TimeSpan.FromMinutes(60));
        await Server.Get<RollupJob>().RunAsync(ct);
        for (var hour = 0; hour < 3; hour++)
        {
            await StatusRoundAsync(statuses, Probes.Where(p => p.Id is not (StaleProbe or OfflineProbe)), null, ct);
            await Server.Get<ComplianceJob>().RunAsync(ct);
            await Server.Get<LivenessJob>().RunAsync(ct);
            await Server.Get<NotificationDispatcher>().RunAsync(ct);
            _context.Advance(TimeSpan.FromHours(1));
        }

        await WriteAgreedVerdictsAsync(ct);
        var communes = await Context.Influx.QueryRowsAsync(
            "SHOW TAG VALUES FROM \"area_membership\" WITH KEY = \"commune\" WHERE \"province\" = '42' AND \"area_kind\" = 'former-district' AND \"area\" = '445'", ct);
        ThachHaCommunes = "(" + string.Join('|', communes.Select(r => r["value"].GetString())) + ")";
    }

    /// <summary>The busy-window rows of <see cref="BusyVerdicts"/> at every evaluation hour, tagged as the verdicts branch writes them.</summary>
    private async Task WriteAgreedVerdictsAsync(CancellationToken ct)
    {
        var rows = await Context.Influx.QueryRowsAsync("SELECT \"samples\" FROM \"compliance\" WHERE \"area\" = '445' AND \"access\" = 'fixed' AND \"window\" = 'rolling' AND \"operator\" = 'all'", ct);
        EvaluationHours.AddRange(rows.Select(r => DateTimeOffset.UnixEpoch.AddTicks(r["time"].GetInt64() / 100)));
        Assert.Equal(3, EvaluationHours.Count);
        var lines = new LineBuilder();
        foreach (var hour in EvaluationHours)
        {
            foreach (var v in BusyVerdicts)
            {
                lines.Measurement("compliance").Tag("province", "42").Tag("area_kind", "former-district").Tag("area", "445").Tag("district", "445")
                    .Tag("access", v.Access).Tag("technology", "all").Tag("operator", v.Operator).Tag("metric", "download").Tag("statistic", v.Statistic)
                    .Tag("weighting", "link").Tag("window", "busy")
                    .Field("value", v.Value).Field("ci_low", v.CiLow).Field("ci_high", v.CiHigh).Field("threshold", v.Threshold)
                    .Field("samples", v.Samples).Field("links", v.Links).Field("met", v.Status == "met" ? 1L : 0L).Field("status", v.Status)
                    .Field("target_id", 1L).Timestamp(WritePrecision.Seconds.ToTimestamp(hour));
            }
        }

        await Context.Influx.WriteAsync(lines.ToString(), WritePrecision.Seconds, ct);
    }

    private async Task RegisterAsync(string id, string commune, SeedLink[] links, CancellationToken ct)
    {
        var body = new
        {
            communeCode = commune,
            description = "UBND xã (dashboard test)",
            scheduleMinutes = 30,
            links = links.Select(l => new { name = l.Name, access = l.Access, @operator = l.Operator, technology = l.Technology, advertisedDownloadMbps = l.Download * 1.2 }).ToArray(),
        };
        using var response = await Server.Http.PutAsJsonAsync($"/api/probes/{id}", body, ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private async Task PublishResultsAsync(CancellationToken ct)
    {
        var random = new Random(42);
        await using var publisher = new ResultPublisher(Context.Broker.Host, Context.Broker.Port);
        foreach (var probe in Probes)
        {
            var payloads = new List<byte[]>();
            var step = (ResultsEnd - ResultsStart) / probe.Results;
            for (var i = 0; i < probe.Results; i++)
            {
                foreach (var link in probe.Links)
                {
                    var started = ResultsStart + (step * i) + TimeSpan.FromMinutes(link.Access == "mobile" ? 2 : 0);
                    var result = Result(probe, link, i, started, random);
                    payloads.Add(SampleResults.ToJson(result));
                    Published.Add(new PublishedResult(probe, link, started, result.Status, result.DownloadMbps, result.UploadMbps, result.LatencyMs,
                        result.JitterMs, result.LossPct, result.LoadedLatencyMs, result.Error));
                }
            }

            ResultCount += payloads.Count;
            await publisher.PublishAsync(probe.Id, payloads, ct);
        }

        // One malformed message: the quarantine counter and its reason for the pipeline dashboard.
        await publisher.PublishAsync(Probes[0].Id, [SampleResults.Utf8("{\"schema\":\"hts.result.v1\"")], ct);
        await WaitForAsync($"SELECT count(\"result_id\") FROM speedtest", ResultCount, ct);
    }

    private static ResultMessage Result(SeedProbe probe, SeedLink link, int i, DateTimeOffset started, Random random)
    {
        var status = i % 23 == 5 ? ResultStatus.Skipped : i % 31 == 7 ? ResultStatus.Failed : ResultStatus.Ok;
        // Evening peak (19:00–23:00 Vietnam time, 12:00–16:00 UTC): a congested link gives 60 % of its usual speed.
        var peak = started.UtcDateTime.Hour is >= 12 and < 16 ? 0.6 : 1.0;
        var download = link.Download * peak * (0.8 + (0.4 * random.NextDouble()));
        var latency = (link.Access == "mobile" ? 35 : 12) + (10 * random.NextDouble());
        var ok = status == ResultStatus.Ok;
        return new ResultMessage
        {
            ResultId = Guid.NewGuid().ToString(),
            ProbeId = probe.Id,
            Link = new LinkInfo { Name = link.Name, Access = link.Access, Operator = link.Operator, Technology = link.Technology },
            Server = "hts-speed-test-1",
            StartedAt = started,
            DurationMs = ok ? 24_000 : 1_000,
            Status = status,
            DownloadMbps = ok ? Math.Round(download, 2) : null,
            UploadMbps = ok ? Math.Round(download / 2.5, 2) : null,
            LatencyMs = ok ? Math.Round(latency, 1) : null,
            JitterMs = ok ? Math.Round(latency / 10, 2) : null,
            LossPct = ok ? (i % 9 == 0 ? 0.5 : 0) : null,
            LoadedLatencyMs = ok ? Math.Round(latency * (1.5 + (2 * (1 - peak))), 1) : null,
            AgentVersion = probe.District == "436" ? "0.2.0" : "0.1.9",
            Error = status == ResultStatus.Skipped ? "line busy: 3.2 Mb/s of user traffic" : status == ResultStatus.Failed ? "connect timeout" : null,
        };
    }

    private int _statuses;

    /// <summary>One status message per probe (the probe named <paramref name="offline"/> says offline), then waits for their points.</summary>
    private async Task StatusRoundAsync(StatusPublisher publisher, IEnumerable<SeedProbe> probes, string? offline, CancellationToken ct)
    {
        foreach (var probe in probes)
        {
            await publisher.PublishAsync(new StatusMessage
            {
                ProbeId = probe.Id,
                State = probe.Id == offline ? ProbeState.Offline : ProbeState.Online,
                At = Context.Time.GetUtcNow(),
                AgentVersion = probe.District == "436" ? "0.2.0" : "0.1.9",
                QueueDepth = probe.District == "437" ? 40 + (_statuses % 3 * 25) : _statuses % 3,
                QueueEvicted = 0,
                LastError = probe.Id == offline ? "modem lost carrier" : null,
            }, ct);
            _statuses++;
        }

        await WaitForAsync("SELECT count(\"online\") FROM probe_status", _statuses, ct);
    }

    private async Task WaitForAsync(string countQuery, long expected, CancellationToken ct)
    {
        long count = 0;
        for (var attempt = 0; attempt < 600; attempt++)
        {
            // The server's batch writer flushes a partial batch after Ingestion:FlushInterval on the (fake) clock.
            Context.Advance(TimeSpan.FromSeconds(1));
            var rows = await Context.Influx.QueryRowsAsync(countQuery, ct);
            count = rows.Count == 0 ? 0 : rows[0]["count"].GetInt64();
            if (count >= expected)
            {
                Assert.Equal(expected, count);
                return;
            }

            await Task.Delay(50, ct);
        }

        Assert.Fail($"{countQuery}: {count} of {expected} after 30 s");
    }

    public async ValueTask DisposeAsync()
    {
        if (_context is not null)
        {
            await _context.DisposeAsync();
        }
    }
}

/// <summary>Publishes retained status messages as the probes do.</summary>
internal sealed class StatusPublisher : IAsyncDisposable
{
    private readonly IMqttClient _client;

    private StatusPublisher(IMqttClient client) => _client = client;

    public static async Task<StatusPublisher> ConnectAsync(ComplianceTestContext context, CancellationToken ct)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(context.Broker.Host, context.Broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("dashboard-status").Build(), ct);
        return new StatusPublisher(client);
    }

    public async Task PublishAsync(StatusMessage status, CancellationToken ct)
    {
        var message = new MqttApplicationMessageBuilder().WithTopic(Topics.Status(status.ProbeId))
            .WithPayload(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(status, ContractsJsonContext.Default.StatusMessage))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag().Build();
        await _client.PublishAsync(message, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisconnectAsync();
        _client.Dispose();
    }
}

/// <summary>The dashboard tests share one seeded server and databases.</summary>
[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardEnvironment>
{
    public const string Name = "dashboards";
}
