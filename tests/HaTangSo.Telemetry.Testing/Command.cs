using System.Diagnostics;

namespace HaTangSo.Telemetry.Testing;

/// <summary>What a command printed and how it ended.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Standard output, or an exception naming the command with everything it printed when it failed.</summary>
    public string StdoutOrThrow(string command) => ExitCode == 0
        ? Stdout
        : throw new InvalidOperationException($"{command} exited with {ExitCode}:\n{Stdout}\n{Stderr}");
}

/// <summary>Runs a short-lived command to completion; it is killed (with its children) when cancelled or late.</summary>
public static class Command
{
    public static async Task<CommandResult> RunAsync(
        string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("Could not start " + fileName);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"'{fileName}' could not be started ({ex.Message}): run deploy/local/install-deps.sh as root.", ex);
        }

        using (process)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (timeout is { } limit)
            {
                cts.CancelAfter(limit);
            }

            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = process.StandardError.ReadToEndAsync(cts.Token);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It ended meanwhile.
                }

                throw;
            }

            return new CommandResult(process.ExitCode, await stdout, await stderr);
        }
    }
}
