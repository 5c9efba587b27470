using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// The real probe binary (<c>hts-probe</c>), built by the solution, with a config file and queue in its own
/// temporary directory: <c>queue import</c> to fill the durable queue, <c>run</c> as a child process that a
/// test can SIGKILL.
/// </summary>
public sealed class ProbeProcess : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("probe");
    private TestProcess? _process;

    public ProbeProcess(
        string probeId, int brokerPort, Uri speedTestServer, int queueCapacity = 20_000, string? brokerHost = null, Action<JsonObject>? configure = null)
    {
        ProbeId = probeId;
        var config = new JsonObject
        {
            ["probeId"] = probeId,
            ["broker"] = new JsonObject { ["host"] = brokerHost ?? "127.0.0.1", ["port"] = brokerPort, ["statusIntervalSeconds"] = 10 },
            ["server"] = new JsonObject { ["url"] = speedTestServer.ToString(), ["udpPort"] = 0 },
            ["queuePath"] = Path.Combine(_directory.Path, "queue.db"),
            ["queueCapacity"] = queueCapacity,
            ["scheduleMinutes"] = 1440,
            ["links"] = new JsonArray(new JsonObject { ["name"] = "fixed", ["access"] = "fixed", ["operator"] = "VNPT", ["technology"] = "ftth" }),
        };
        configure?.Invoke(config);
        ConfigPath = Path.Combine(_directory.Path, "probe.json");
        File.WriteAllText(ConfigPath, config.ToJsonString());
    }

    public string ProbeId { get; }

    public string ConfigPath { get; }

    /// <summary>The probe's own directory (config, queue), for files such as its password file.</summary>
    public string DirectoryPath => _directory.Path;

    public string Output => _process?.Output ?? string.Empty;

    public static string Dll => BuildOutput.File("probes/HaTangSo.Telemetry.Probe", "hts-probe.dll");

    /// <summary>Queues <paramref name="results"/> with <c>hts-probe queue import</c>; returns what it printed.</summary>
    public async Task<string> ImportAsync(IEnumerable<ResultMessage> results, CancellationToken cancellationToken)
    {
        var file = Path.Combine(_directory.Path, $"import-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllLinesAsync(file, results.Select(r => System.Text.Encoding.UTF8.GetString(SampleResults.ToJson(r))), cancellationToken);
        return await RunToEndAsync(["queue", "import", "--config", ConfigPath, file], cancellationToken);
    }

    /// <summary><c>hts-probe queue status</c>.</summary>
    public Task<string> QueueStatusAsync(CancellationToken cancellationToken) =>
        RunToEndAsync(["queue", "status", "--config", ConfigPath], cancellationToken);

    /// <summary>Starts <c>hts-probe run</c> (the service); <paramref name="publishOnly"/> leaves out the measurements.</summary>
    public void Start(bool publishOnly = true)
    {
        _process?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _process = TestProcess.Start("hts-probe", "dotnet", [Dll, "run", "--config", ConfigPath, .. publishOnly ? new[] { "--publish-only" } : []]);
    }

    /// <summary>SIGKILL: no goodbye, no clean-up.</summary>
    public Task KillAsync() => _process?.KillAsync() ?? Task.CompletedTask;

    /// <summary>Waits for the service to end by itself (an upgrade's restart); fails unless it exits with 0.</summary>
    public Task WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _process!.WaitForExitAsync(timeout, cancellationToken);

    /// <summary>SIGTERM and a clean exit.</summary>
    public Task StopAsync() => _process?.StopAsync(TimeSpan.FromSeconds(20)) ?? Task.CompletedTask;

    /// <summary>Waits for <paramref name="text"/> in the probe's output.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan timeout, CancellationToken cancellationToken) =>
        _process!.WaitUntilAsync(_ => Task.FromResult(Output.Contains(text, StringComparison.Ordinal)), timeout, $"'{text}' in its output", cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _directory.Dispose();
    }

    private static async Task<string> RunToEndAsync(string[] arguments, CancellationToken cancellationToken) =>
        (await Command.RunAsync("dotnet", [Dll, .. arguments], cancellationToken)).StdoutOrThrow($"hts-probe {string.Join(' ', arguments)}");
}
