using System.Globalization;
using System.Net.Http.Json;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>A raw result the test writes into InfluxDB, and keeps to compute the expected figures itself.</summary>
internal sealed record RawResult(
    DateTimeOffset Time, string District, string Commune, string Probe, string Link, string Access, string Operator, string Technology,
    double Download, double Upload, double Latency);

/// <summary>Databases, broker, webhook receiver, fake clock and server instances of one compliance test.</summary>
internal sealed class ComplianceTestContext : IAsyncDisposable
{
    public const string Province = "42"; // Hà Tĩnh
    private readonly List<ServerInstance> _instances = [];
    private readonly HttpClient _influxHttp = new();
    private int _started;

    private ComplianceTestContext(MosquittoBroker broker, WebhookReceiver webhook, string postgres, Uri influxUrl, string database, DateTimeOffset start)
    {
        Broker = broker;
        Settings = new ServerSettings(postgres, influxUrl, database, broker.Port);
        Time = new FakeTimeProvider(start);
        Influx = new InfluxDbClient(_influxHttp, new InfluxDbConnection { BaseAddress = influxUrl, Database = database, RetentionPolicy = "hts_results" });
        Webhook = webhook;
    }

    public MosquittoBroker Broker { get; }

    public ServerSettings Settings { get; }

    public FakeTimeProvider Time { get; }

    public InfluxDbClient Influx { get; }

    public WebhookReceiver Webhook { get; }

    public List<RawResult> Written { get; } = [];

    public Dictionary<string, string?> Config { get; } = new()
    {
        ["Compliance:MinSamples"] = "20",
        ["Compliance:Qcvn34MinSamples"] = "10",
    };

    public static async Task<ComplianceTestContext> CreateAsync(
        PostgresFixture postgres, InfluxDbFixture influx, DateTimeOffset start, CancellationToken cancellationToken, string? connectionString = null)
    {
        var broker = await MosquittoBroker.StartAsync(cancellationToken: cancellationToken);
        connectionString ??= await postgres.NewCataloguedDatabaseAsync(cancellationToken);
        var webhook = await WebhookReceiver.StartAsync(cancellationToken);
        var context = new ComplianceTestContext(broker, webhook, connectionString, influx.Server.BaseAddress, influx.NewDatabaseName(), start);
        context.Config["Alerts:WebhookUrl"] = context.Webhook.Url.ToString();
        return context;
    }

    /// <summary>Starts another server instance (its own MQTT client id) on the shared databases.</summary>
    public async Task<ServerInstance> StartInstanceAsync(CancellationToken cancellationToken)
    {
        var settings = Settings with { ClientId = $"hts-server-{Interlocked.Increment(ref _started)}" };
        var instance = await ServerInstance.StartAsync(settings, Time, Config, cancellationToken);
        _instances.Add(instance);
        return instance;
    }

    /// <summary>Stops an instance, as a restart or a crash of that server would.</summary>
    public async Task StopInstanceAsync(ServerInstance instance)
    {
        _instances.Remove(instance);
        await instance.DisposeAsync();
    }

    /// <summary>Registers a probe with one fixed (advertised <paramref name="advertisedFixed"/>) and one mobile link.</summary>
    public static async Task RegisterProbeAsync(ServerInstance server, string probeId, string communeCode, double advertisedFixed, CancellationToken cancellationToken)
    {
        var body = new
        {
            communeCode,
            scheduleMinutes = 15,
            links = new object[]
            {
                new { name = "fixed", access = "fixed", @operator = "VNPT", technology = "ftth", advertisedDownloadMbps = advertisedFixed },
                new { name = "modem", access = "mobile", @operator = "Viettel", technology = "4g" },
            },
        };
        using var response = await server.Http.PutAsJsonAsync($"/api/probes/{probeId}", body, cancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>
    /// Writes <paramref name="count"/> results evenly spread over <c>[from, to)</c>, downloads from <paramref name="download"/>.
    /// With <paramref name="cpuBound"/> they carry the probe's <c>cpu_bound</c> flag (as ingestion writes it) and are not
    /// added to <see cref="Written"/> (no verdict may count them). The operator is VNPT for fixed and Viettel for mobile
    /// unless <paramref name="operator"/> names another.
    /// </summary>
    public async Task WriteResultsAsync(
        string district, string commune, string probe, string access, DateTimeOffset from, DateTimeOffset to, int count,
        Func<int, double> download, CancellationToken cancellationToken, string province = Province, bool cpuBound = false, string? @operator = null,
        string? confirmationServer = null)
    {
        var lines = new LineBuilder();
        var step = (to - from) / count;
        for (var i = 0; i < count; i++)
        {
            var link = access == "fixed" ? "fixed" : "modem";
            var result = new RawResult(from + (step * i), district, commune, probe, link, access, @operator ?? (access == "fixed" ? "VNPT" : "Viettel"),
                access == "fixed" ? "ftth" : "4g", download(i), download(i) / 2, 20 + (i % 7));
            if (!cpuBound && confirmationServer is null)
            {
                Written.Add(result); // results against a confirmation (off-net) server never count in a verdict either
            }

            lines.Measurement("speedtest").Tag("province", province).Tag("district", district).Tag("commune", commune).Tag("probe", probe)
                .Tag("link", link).Tag("access", access).Tag("operator", result.Operator).Tag("technology", result.Technology)
                .Tag("server", confirmationServer ?? "test").Tag("status", "ok")
                .Field("download_mbps", result.Download).Field("upload_mbps", result.Upload).Field("latency_ms", result.Latency)
                .Field("duration_ms", 20000.0).Field("result_id", Guid.NewGuid().ToString());
            if (cpuBound)
            {
                lines.Field("cpu_bound", true);
            }

            lines                .Timestamp(WritePrecision.Nanoseconds.ToTimestamp(result.Time));
        }

        await Influx.WriteAsync(lines.ToString(), WritePrecision.Nanoseconds, cancellationToken);
    }

    /// <summary>Runs a statement on the test's PostgreSQL database.</summary>
    public async Task ExecuteSqlAsync(string sql, CancellationToken cancellationToken) => await ScalarAsync(sql, cancellationToken);

    /// <summary>The first column of the first row of <paramref name="sql"/>.</summary>
    public async Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new Npgsql.NpgsqlConnection(Settings.PostgresConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Moves the fake clock on.</summary>
    public void Advance(TimeSpan by) => Time.Advance(by);

    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        await Webhook.DisposeAsync();
        _influxHttp.Dispose();
        await Broker.DisposeAsync();
    }
}
