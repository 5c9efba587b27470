using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Api;

/// <summary>One real server process (with its own broker and databases) shared by the API input tests.</summary>
public sealed class ApiTestServer(PostgresFixture postgres, InfluxDbFixture influx) : IAsyncLifetime
{
    private MosquittoBroker? _broker;
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public HttpClient Http => Server.Http;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        var settings = new ServerSettings(await postgres.NewDatabaseAsync(ct), influx.Server.BaseAddress, influx.NewDatabaseName(), _broker.Port, "hts-server-api");
        _server = await ServerProcess.StartAsync(settings, ct);
    }

    /// <summary>The server answers /health and still takes a valid registration: nothing the fuzzing sent broke it.</summary>
    public async Task AssertHealthyAsync(CancellationToken cancellationToken)
    {
        using var health = await Http.GetAsync("/health", cancellationToken);
        Assert.True(health.IsSuccessStatusCode, $"/health answered {(int)health.StatusCode}\n{Server.Output}");
        await Server.RegisterProbeAsync("api-health-probe", "18409", cancellationToken);
        var probe = await Http.GetFromJsonAsync<JsonElement>("/api/probes/api-health-probe", cancellationToken);
        Assert.Equal("18409", probe.GetProperty("communeCode").GetString());
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}
