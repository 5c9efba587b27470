using System.ComponentModel;
using System.Diagnostics;

namespace HaTangSo.Telemetry.Probe.Radio;

/// <summary>What a finished process printed and how it ended.</summary>
internal sealed record ProcessOutput(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs a program with arguments and a deadline (an interface so the radio reader is tested on recorded output).</summary>
internal interface IProcessRunner
{
    /// <summary>
    /// Runs <paramref name="fileName"/> and waits for it at most <paramref name="timeout"/> (then kills it and throws
    /// <see cref="TimeoutException"/>). Throws <see cref="FileNotFoundException"/> when the program is not installed.
    /// </summary>
    Task<ProcessOutput> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>
/// The real runner: no shell (arguments are passed as a list, nothing is interpreted), output captured whole, in the
/// C.UTF-8 locale: its output is parsed, and mmcli prints numbers in the box's locale (<c>-67,00</c> under vi_VN or
/// cs_CZ). Where C.UTF-8 is not installed the C library falls back to the C locale, which prints the same numbers.
/// </summary>
internal sealed class ProcessRunner : IProcessRunner
{
    public async Task<ProcessOutput> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["LC_ALL"] = "C.UTF-8" },
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new FileNotFoundException($"{fileName} cannot be started: {ex.Message}", fileName, ex);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            return new ProcessOutput(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill(process);
            throw new TimeoutException($"{fileName} did not finish within {timeout.TotalSeconds:0} s");
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It ended in the meantime.
        }
    }
}
