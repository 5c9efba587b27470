using System.Globalization;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// A real InfluxDB 1.x (<c>influxd</c>) on free loopback ports with its data in a temporary directory; it
/// can be stopped and started again with its data, as the ingestion tests need.
/// </summary>
public sealed class InfluxDbServer : IAsyncDisposable
{
    /// <summary>Where Debian installs InfluxDB.</summary>
    public const string Executable = "/usr/bin/influxd";

    private readonly TempDirectory _directory;
    private readonly string _configPath;
    private TestProcess? _process;

    private InfluxDbServer(TempDirectory directory, string configPath, int port)
    {
        _directory = directory;
        _configPath = configPath;
        Port = port;
    }

    /// <summary>The HTTP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The HTTP API's base address.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    /// <summary>The server's log so far.</summary>
    public string Output => _process?.Output ?? string.Empty;

    /// <summary>The directory holding its <c>meta</c>, <c>data</c> and <c>wal</c> folders.</summary>
    public string DirectoryPath => _directory.Path;

    /// <summary>The running <c>influxd</c>'s process id.</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("InfluxDB is not running.");

    /// <summary>
    /// Starts a server; <paramref name="extraHttpConfig"/> goes into its <c>[http]</c> section,
    /// <paramref name="extraDataConfig"/> into its <c>[data]</c> section.
    /// </summary>
    public static async Task<InfluxDbServer> StartAsync(
        string? extraHttpConfig = null, string? extraDataConfig = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} not found: run tests/run.sh (it installs influxdb with apt-get).");
        }

        var directory = new TempDirectory("hts-influxdb");
        var port = FreePort.Next();
        var rpcPort = FreePort.Next();
        var config = string.Create(CultureInfo.InvariantCulture, $"""
            reporting-disabled = true
            bind-address = "127.0.0.1:{rpcPort}"
            [meta]
              dir = "{directory.Path}/meta"
            [data]
              dir = "{directory.Path}/data"
              wal-dir = "{directory.Path}/wal"
              query-log-enabled = false
              {extraDataConfig ?? string.Empty}
            [http]
              bind-address = "127.0.0.1:{port}"
              log-enabled = false
              {extraHttpConfig ?? string.Empty}
            [monitor]
              store-enabled = false
            [continuous_queries]
              enabled = false
            """);
        var configPath = Path.Combine(directory.Path, "influxdb.conf");
        await File.WriteAllTextAsync(configPath, config, cancellationToken);
        var server = new InfluxDbServer(directory, configPath, port);
        await server.StartAgainAsync(cancellationToken);
        return server;
    }

    /// <summary>Starts the server (again) on the same port with the same data.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("InfluxDB is already running.");
        }

        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _process = TestProcess.Start("influxd", Executable, ["-config", _configPath]);
        using var http = new HttpClient { BaseAddress = BaseAddress };
        await _process.WaitUntilAsync(
            async ct =>
            {
                try
                {
                    using var response = await http.GetAsync("ping", ct);
                    return response.StatusCode == System.Net.HttpStatusCode.NoContent;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            "answering /ping",
            cancellationToken);
    }

    /// <summary>Stops the server gracefully (data kept).</summary>
    public Task StopAsync() => _process?.StopAsync(TimeSpan.FromSeconds(30)) ?? Task.CompletedTask;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _directory.Dispose();
    }
}

/// <summary>One InfluxDB per test assembly; each test uses its own database.</summary>
public sealed class InfluxDbFixture : IAsyncLifetime
{
    private InfluxDbServer? _server;

    /// <summary>The running server.</summary>
    public InfluxDbServer Server => _server ?? throw new InvalidOperationException("InfluxDB has not started.");

    /// <summary>A database name no other test uses.</summary>
    public string NewDatabaseName() => "t_" + Guid.NewGuid().ToString("N")[..16];

    /// <inheritdoc />
    public async ValueTask InitializeAsync() => _server = await InfluxDbServer.StartAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
