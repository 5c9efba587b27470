using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;

namespace HaTangSo.Telemetry.Testing;

/// <summary>Where a test's server instance connects, and how it is tuned.</summary>
public sealed record ServerSettings(
    string PostgresConnectionString,
    Uri InfluxUrl,
    string InfluxDatabase,
    int MqttPort,
    string ClientId = "hts-server-test")
{
    public const string OperatorKey = "integration-test-operator-key";

    public IDictionary<string, string?> Extra { get; init; } = new Dictionary<string, string?>();
}

/// <summary>
/// The real server, built by the solution, run as a child process (<c>dotnet HaTangSo.Telemetry.Server.dll</c>)
/// so that a test can SIGKILL it mid-stream and start it again.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly ServerSettings _settings;
    private TestProcess? _process;

    private ServerProcess(ServerSettings settings)
    {
        _settings = settings;
        TestArtifacts.Secret(ServerSettings.OperatorKey);
        foreach (var (key, value) in settings.Extra)
        {
            if (value is not null && (key.EndsWith("Password", StringComparison.Ordinal) || key.EndsWith("Token", StringComparison.Ordinal)))
            {
                TestArtifacts.Secret(value);
            }
        }

        Port = FreePort.Next();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
        Http.DefaultRequestHeaders.Add("X-Api-Key", ServerSettings.OperatorKey);
    }

    public int Port { get; }

    public HttpClient Http { get; }

    public string Output => _process?.Output ?? string.Empty;

    /// <summary>The running server's OS process id (for resident-memory readings), if started.</summary>
    public int? ProcessId => _process?.Id;

    public static async Task<ServerProcess> StartAsync(ServerSettings settings, CancellationToken cancellationToken)
    {
        var server = new ServerProcess(settings);
        await server.StartAgainAsync(cancellationToken);
        return server;
    }

    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = Http.BaseAddress!.ToString(),
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Postgres"] = _settings.PostgresConnectionString,
            ["Influx__Url"] = _settings.InfluxUrl.ToString(),
            ["Influx__Database"] = _settings.InfluxDatabase,
            ["Mqtt__Host"] = "127.0.0.1",
            ["Mqtt__Port"] = _settings.MqttPort.ToString(CultureInfo.InvariantCulture),
            ["Mqtt__ClientId"] = _settings.ClientId,
            ["Mqtt__ReconnectInitialDelay"] = "00:00:00.200",
            ["Mqtt__ReconnectMaxDelay"] = "00:00:02",
            ["Ingestion__FlushInterval"] = "00:00:00.200",
            ["Ingestion__RetryInitialDelay"] = "00:00:00.100",
            ["Ingestion__RetryMaxDelay"] = "00:00:01",
            // Tests stream thousands of results per probe seconds apart; the rate-limit tests turn it back on.
            ["Ingestion__ProbeRateLimitFactor"] = "0",
            // The speed-test server the samples name (SampleResults.ServerId), registered at start-up like enrolment's.
            ["Provisioning__SpeedTestId"] = SampleResults.ServerId,
            ["Provisioning__SpeedTestUrl"] = "http://127.0.0.1:8090/",
            ["Registry__MissReloadInterval"] = "00:00:00.500",
            ["Api__Keys__0__Name"] = "tests",
            ["Api__Keys__0__Role"] = "operator",
            ["Api__Keys__0__Sha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ServerSettings.OperatorKey))),
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        };
        foreach (var (key, value) in _settings.Extra)
        {
            environment[key] = value;
        }

        // Run from its own folder, as deployed: appsettings.json is read from the content root.
        var dll = ServerDll();
        _process = TestProcess.Start("hts-server", "dotnet", [dll], environment, Path.GetDirectoryName(dll));
        await _process.WaitUntilAsync(IsHealthyAsync, TimeSpan.FromSeconds(60), "a healthy /health", cancellationToken);
    }

    public Task KillAsync() => _process?.KillAsync() ?? Task.CompletedTask;

    /// <summary>Sends <paramref name="signal"/> to the running server (SIGSTOP pauses it, SIGCONT resumes it).</summary>
    public Task SignalAsync(UnixSignal signal) =>
        (_process ?? throw new InvalidOperationException("The server is not running.")).SignalAsync(signal);

    public Task StopAsync() => _process?.StopAsync(TimeSpan.FromSeconds(30)) ?? Task.CompletedTask;

    /// <summary>Registers a probe through the API (operator key).</summary>
    public async Task RegisterProbeAsync(string probeId, string communeCode, CancellationToken cancellationToken)
    {
        var body = new
        {
            communeCode,
            description = "integration test",
            scheduleMinutes = 15,
            links = new object[]
            {
                new { name = "fixed", access = "fixed", @operator = "VNPT", technology = "ftth", advertisedDownloadMbps = 150.0, advertisedUploadMbps = 150.0 },
                new { name = "modem", access = "mobile", @operator = "Viettel", technology = "4g" },
            },
        };
        using var response = await Http.PutAsJsonAsync($"/api/probes/{probeId}", body, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PUT /api/probes/{probeId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync(TimeSpan.FromSeconds(10));
            await _process.DisposeAsync();
        }

        Http.Dispose();
    }

    private async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Http.GetAsync("/health", cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    // The server project is referenced (ReferenceOutputAssembly=false) so the solution builds it first, in the
    // same configuration as this test assembly.
    public static string ServerDll() => BuildOutput.File("src/HaTangSo.Telemetry.Server", "HaTangSo.Telemetry.Server.dll");
}
