using System.Diagnostics;

namespace HaTangSo.Telemetry.Probe.Tests.Upgrade;

/// <summary>
/// Small stand-ins for the probe binary, so the tests need no Native AOT publish: shell scripts that print their
/// version and whose <c>self-test</c> exits with a chosen code.
/// </summary>
public static class FakeProbeBinary
{
    /// <summary>A self-test exit code that makes the fake hang instead (until the trial's time limit kills it).</summary>
    public const int Hangs = -1;

    public static string Script(string version, int selfTestExit) => $"""
        #!/bin/sh
        # fake hts-probe {version}
        case "$1" in
          self-test) {(selfTestExit == Hangs ? "exec sleep 600" : $"echo \"fake self-test of {version}: exit {selfTestExit}\"; exit {selfTestExit}")} ;;
          version) echo "{version}" ;;
        esac
        exit 0

        """;

    /// <summary>Writes an executable fake binary.</summary>
    public static string Write(string path, string version, int selfTestExit)
    {
        File.WriteAllText(path, Script(version, selfTestExit));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    /// <summary>
    /// What version a start of <paramref name="path"/> would run: read through /bin/sh (not exec'd, so a file another
    /// test's fork still holds open cannot fail it with ETXTBSY).
    /// </summary>
    public static async Task<string> VersionAsync(string path, CancellationToken cancellationToken)
    {
        var (exit, output) = await RunAsync("/bin/sh", [path, "version"], new Dictionary<string, string>(), cancellationToken);
        Assert.Equal(0, exit);
        return output.Trim();
    }

    /// <summary>Runs a process to its end; the exit code and stdout+stderr.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(
        string file, string[] arguments, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }
}
