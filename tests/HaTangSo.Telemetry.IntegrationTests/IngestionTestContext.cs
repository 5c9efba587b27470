using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests;

/// <summary>Everything one ingestion test needs: its broker, databases, server(s) and a registered probe.</summary>
internal sealed class IngestionTestContext : IAsyncDisposable
{
    // Xã Tân Lộc, huyện Thạch Hà, tỉnh Hà Tĩnh (General Statistics Office codes from the catalogue).
    public const string CommuneCode = "18409";
    public const string DistrictCode = "445";
    public const string ProvinceCode = "42";

    private readonly List<ServerProcess> _servers = [];

    private IngestionTestContext(MosquittoBroker broker, string postgres, Uri influxUrl, string database)
    {
        Broker = broker;
        PostgresConnectionString = postgres;
        InfluxUrl = influxUrl;
        Database = database;
        Influx = new InfluxProbe(influxUrl, database);
    }

    public MosquittoBroker Broker { get; }

    public string PostgresConnectionString { get; }

    public Uri InfluxUrl { get; }

    public string Database { get; }

    public InfluxProbe Influx { get; }

    public ServerProcess Server => _servers[0];

    public string ProbeId { get; } = "probe-" + Guid.NewGuid().ToString("N")[..10];

    public static async Task<IngestionTestContext> CreateAsync(PostgresFixture postgres, InfluxDbFixture influx, CancellationToken cancellationToken)
    {
        var broker = await MosquittoBroker.StartAsync(cancellationToken: cancellationToken);
        var database = influx.NewDatabaseName();
        var connectionString = await postgres.NewCataloguedDatabaseAsync(cancellationToken);
        return new IngestionTestContext(broker, connectionString, influx.Server.BaseAddress, database);
    }

    /// <summary>Starts a server instance (client id hts-server-N) and, for the first, registers the probe.</summary>
    public async Task<ServerProcess> StartServerAsync(CancellationToken cancellationToken, IDictionary<string, string?>? extra = null)
    {
        var settings = new ServerSettings(PostgresConnectionString, InfluxUrl, Database, Broker.Port, $"hts-server-{_servers.Count + 1}")
        {
            Extra = extra ?? new Dictionary<string, string?>(),
        };
        var server = await ServerProcess.StartAsync(settings, cancellationToken);
        _servers.Add(server);
        if (_servers.Count == 1)
        {
            await server.RegisterProbeAsync(ProbeId, CommuneCode, cancellationToken);
        }

        return server;
    }

    public ResultPublisher CreatePublisher() => new(Broker.Host, Broker.Port);

    /// <summary>Waits until InfluxDB holds <paramref name="expected"/> results, failing with the servers' logs.</summary>
    public async Task WaitForResultsAsync(long expected, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        long count = 0;
        try
        {
            while ((count = await Influx.CountResultsAsync(cts.Token)) < expected)
            {
                await Task.Delay(200, cts.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"InfluxDB holds {count} of {expected} results after {timeout}.\n{Logs()}");
        }
    }

    public string Logs() => string.Join("\n", _servers.Select((s, i) => $"--- server {i + 1}:\n{Tail(s.Output)}")) + $"\n--- broker:\n{Tail(Broker.Output)}";

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        Influx.Dispose();
        await Broker.DisposeAsync();
    }

    private static string Tail(string text) => text.Length > 6000 ? text[^6000..] : text;
}
