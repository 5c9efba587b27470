namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// The probe published as Native AOT (as the README's install steps do), once per test process, into a temporary
/// directory: <c>dotnet publish probes/HaTangSo.Telemetry.Probe -c Release -r linux-x64 -p:PublishAot=true</c>.
/// </summary>
public static class PublishedProbe
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _path;

    /// <summary>The published <c>hts-probe</c> executable; publishes it on first use.</summary>
    public static async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            return _path ??= await PublishAsync(cancellationToken);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string> PublishAsync(CancellationToken cancellationToken)
    {
        var output = Path.Combine(Path.GetTempPath(), $"hts-probe-aot-{Environment.ProcessId}");
        var result = await Command.RunAsync(
            "dotnet",
            [
                "publish", "probes/HaTangSo.Telemetry.Probe", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true",
                "-o", output, "-nologo", "-v", "quiet", "-clp:ErrorsOnly",
            ],
            cancellationToken,
            BuildOutput.RepositoryRoot,
            TimeSpan.FromMinutes(10));
        var executable = Path.Combine(output, "hts-probe");
        return result.ExitCode == 0 && File.Exists(executable)
            ? executable
            : throw new InvalidOperationException($"publishing the probe as Native AOT failed ({result.ExitCode}): {result.Stdout}{result.Stderr}");
    }
}
