using System.Globalization;

namespace HaTangSo.Telemetry.Testing;

/// <summary>Our speed-test server (<c>HaTangSo.Telemetry.SpeedTest.dll</c>) on free loopback ports, as a child process.</summary>
public sealed class SpeedTestProcess : IAsyncDisposable
{
    private readonly TestProcess _process;

    private SpeedTestProcess(TestProcess process, int httpPort, int udpPort)
    {
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/");
        UdpPort = udpPort;
    }

    public Uri BaseAddress { get; }

    public int UdpPort { get; }

    public int ProcessId => _process.Id;

    public string Output => _process.Output;

    public static string Dll => BuildOutput.File("src/HaTangSo.Telemetry.SpeedTest", "HaTangSo.Telemetry.SpeedTest.dll");

    /// <summary>Starts the server; <paramref name="extraArguments"/> are configuration switches (<c>--SpeedTest:Key value</c>).</summary>
    public static async Task<SpeedTestProcess> StartAsync(CancellationToken cancellationToken, params string[] extraArguments)
    {
        var httpPort = FreePort.Next();
        var udpPort = FreePort.Next();
        var process = TestProcess.Start("speedtest", "dotnet",
            [Dll, "--urls", $"http://127.0.0.1:{httpPort}", "--SpeedTest:UdpEchoPort", udpPort.ToString(CultureInfo.InvariantCulture),
             "--SpeedTest:UdpBindAddress", "127.0.0.1", .. extraArguments],
            workingDirectory: Path.GetDirectoryName(Dll));
        var server = new SpeedTestProcess(process, httpPort, udpPort);
        await process.WaitForPortAsync(httpPort, TimeSpan.FromSeconds(30), cancellationToken);
        return server;
    }

    /// <summary>Runs the server with arguments expected to stop it; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        await using var process = TestProcess.Start("speedtest", "dotnet", [Dll, "--urls", $"http://127.0.0.1:{FreePort.Next()}", .. arguments],
            workingDirectory: Path.GetDirectoryName(Dll));
        try
        {
            await process.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return (0, process.Output);
        }
        catch (InvalidOperationException)
        {
            return (1, process.Output);
        }
    }

    /// <summary>Waits (up to a minute) until the server has printed <paramref name="text"/>.</summary>
    public Task WaitForOutputAsync(string text, CancellationToken cancellationToken) =>
        _process.WaitUntilAsync(_ => Task.FromResult(_process.Output.Contains(text, StringComparison.Ordinal)), TimeSpan.FromMinutes(1), $"'{text}'", cancellationToken);

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
