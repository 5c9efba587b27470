using System.Security.Cryptography;
using System.Text;
using HaTangSo.Telemetry.Server;
using HaTangSo.Telemetry.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>
/// The real server composition, in process, on a real PostgreSQL, InfluxDB and Mosquitto, with the clock swapped
/// for a <see cref="FakeTimeProvider"/>. The jobs are called directly (as Hangfire would) so a test decides when
/// each evaluation happens; several instances over the same databases behave as several servers.
/// </summary>
internal sealed class ServerInstance : IAsyncDisposable
{
    public const string OperatorKey = ServerSettings.OperatorKey;
    public const string ViewerKey = "integration-test-viewer-key";

    private readonly WebApplication _app;

    private ServerInstance(WebApplication app, int port)
    {
        _app = app;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Http.DefaultRequestHeaders.Add("X-Api-Key", OperatorKey);
    }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public T Get<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    public static async Task<ServerInstance> StartAsync(
        ServerSettings settings, FakeTimeProvider time, IDictionary<string, string?> extra, CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(TestArtifacts.Secret(key))));
        var configuration = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = settings.PostgresConnectionString,
            ["Influx:Url"] = settings.InfluxUrl.ToString(),
            ["Influx:Database"] = settings.InfluxDatabase,
            ["Mqtt:Host"] = "127.0.0.1",
            ["Mqtt:Port"] = settings.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Mqtt:ClientId"] = settings.ClientId,
            ["Jobs:Enabled"] = "false",
            ["Ingestion:ProbeRateLimitFactor"] = "0",
            ["Provisioning:SpeedTestId"] = SampleResults.ServerId,
            ["Api:Keys:0:Name"] = "test-operator",
            ["Api:Keys:0:Role"] = "operator",
            ["Api:Keys:0:Sha256"] = Hash(OperatorKey),
            ["Api:Keys:1:Name"] = "test-viewer",
            ["Api:Keys:1:Role"] = "viewer",
            ["Api:Keys:1:Sha256"] = Hash(ViewerKey),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in extra)
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.AddServer();
        builder.Services.AddSingleton<TimeProvider>(time);
        var app = builder.Build();
        app.MapServer();
        await app.StartAsync(cancellationToken);
        var instance = new ServerInstance(app, port);
        await instance.WaitHealthyAsync(cancellationToken);
        return instance;
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        // The InfluxDB database and the broker session are set up in the background after start-up.
        for (var attempt = 0; attempt < 300; attempt++)
        {
            using var response = await Http.GetAsync("/health", cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException("The in-process server did not become healthy in 30 s.");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
