using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Deployment;

/// <summary>Paths of the files under <c>deploy/</c> that the deployment tests check, and a command runner.</summary>
internal static class DeployFiles
{
    public static string Root => BuildOutput.RepositoryRoot;

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative);

    /// <summary>Runs a command to completion (at most two minutes) and returns its exit code and its stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken, string? workingDirectory = null)
    {
        var result = await Command.RunAsync(fileName, arguments, cancellationToken, workingDirectory ?? Root, TimeSpan.FromMinutes(2));
        return (result.ExitCode, result.Stdout + result.Stderr);
    }
}
