using System.Net.Http.Json;
using HaTangSo.Telemetry.Contracts;
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

    private ComplianceTestContext? _context;

    internal ComplianceTestContext Context => _context ?? throw new InvalidOperationException("not initialised");

    internal ServerInstance Server { get; private set; } = null!;

    /// <summary>Results written to InfluxDB (every status), and how many of them were ok.</summary>
    public int ResultCount { get; private set; }

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
        await _context.ExecuteSqlAsync($"UPDATE probes SET created_at = '{ComplianceTestContext.Iso(ResultsStart)}'", ct);

        await PublishResultsAsync(ct);
        await PublishStatusesAsync(ct);

        // The jobs, as Hangfire runs them: rollups, then three hourly compliance evaluations (the second "below" in a
        // row opens Thạch Hà's alert), liveness (the silent probe) and the notifications (alert_events for Grafana).
        _context.Advance(TimeSpan.FromMinutes(60));
        await Server.Get<RollupJob>().RunAsync(ct);
        for (var hour = 0; hour < 3; hour++)
        {
            await Server.Get<ComplianceJob>().RunAsync(ct);
            await Server.Get<LivenessJob>().RunAsync(ct);
            await Server.Get<NotificationDispatcher>().RunAsync(ct);
            _context.Advance(TimeSpan.FromHours(1));
        }
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
                    payloads.Add(SampleResults.ToJson(Result(probe, link, i, started, random)));
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

    private async Task PublishStatusesAsync(CancellationToken ct)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(Context.Broker.Host, Context.Broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("dashboard-status").Build(), ct);
        // Three rounds ten minutes apart (the server stamps a status with its receive time); the Lai Châu probe goes offline.
        for (var round = 0; round < 3; round++)
        {
            foreach (var probe in Probes)
            {
                var offline = probe.Province == "12" && round == 2;
                var status = new StatusMessage
                {
                    ProbeId = probe.Id,
                    State = offline ? ProbeState.Offline : ProbeState.Online,
                    At = Context.Time.GetUtcNow(),
                    AgentVersion = probe.District == "436" ? "0.2.0" : "0.1.9",
                    QueueDepth = probe.District == "437" ? 40 + (round * 25) : round,
                    QueueEvicted = 0,
                    LastError = offline ? "modem lost carrier" : null,
                };
                var message = new MqttApplicationMessageBuilder().WithTopic(Topics.Status(probe.Id))
                    .WithPayload(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(status, ContractsJsonContext.Default.StatusMessage))
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag().Build();
                await client.PublishAsync(message, ct);
            }

            await WaitForAsync("SELECT count(\"online\") FROM probe_status", Probes.Length * (round + 1), ct);
            Context.Advance(TimeSpan.FromMinutes(10));
        }

        await client.DisconnectAsync(cancellationToken: ct);
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

/// <summary>The dashboard tests share one seeded server and databases.</summary>
[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardEnvironment>
{
    public const string Name = "dashboards";
}
