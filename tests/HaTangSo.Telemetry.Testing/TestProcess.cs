using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// A child process a test starts (a broker, a database, the server under test): its output is kept for the
/// failure message, and it is killed with its children when disposed.
/// </summary>
public sealed class TestProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TestProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    /// <summary>A name for messages.</summary>
    public string Name { get; }

    /// <summary>The OS process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>What the process printed so far (stdout and stderr interleaved).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/>.</summary>
    public static TestProcess Start(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        IDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"Could not start {name} ('{fileName}'): {ex.Message}. Run tests/run.sh, which installs the services the tests need.", ex);
        }

        var result = new TestProcess(process, name);
        process.OutputDataReceived += (_, e) => result.Append(e.Data);
        process.ErrorDataReceived += (_, e) => result.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Waits until <paramref name="port"/> on 127.0.0.1 accepts connections.</summary>
    public async Task WaitForPortAsync(int port, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        await WaitUntilAsync(
            async ct =>
            {
                using var client = new TcpClient();
                try
                {
                    await client.ConnectAsync("127.0.0.1", port, ct);
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
            },
            timeout,
            $"port {port}",
            cancellationToken);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, the process exits, or the timeout passes.</summary>
    public async Task WaitUntilAsync(
        Func<CancellationToken, Task<bool>> condition,
        TimeSpan timeout,
        string what,
        CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"{Name} exited with code {_process.ExitCode} while waiting for {what}. Output:\n{Output}");
            }

            try
            {
                if (await condition(cts.Token))
                {
                    return;
                }

                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} did not reach {what} within {timeout}. Output:\n{Output}");
            }
        }
    }

    /// <summary>Waits for the process to exit by itself; fails with its output if it exits non-zero.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // flushes the asynchronous output readers
        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}. Output:\n{Output}");
        }
    }

    /// <summary>Sends SIGKILL: no clean-up at all, as a power cut or the OOM killer would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Sends SIGTERM and waits for a clean exit (SIGKILL after <paramref name="timeout"/>).</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        await SignalAsync(UnixSignal.Terminate);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the process (with <c>kill</c>) and checks that it was delivered.</summary>
    public async Task SignalAsync(UnixSignal signal)
    {
        var name = signal switch
        {
            UnixSignal.Terminate => "-TERM",
            UnixSignal.Stop => "-STOP",
            UnixSignal.Continue => "-CONT",
            _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, null),
        };
        using var kill = Process.Start("kill", [name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill {name} {_process.Id} ({Name}) exited with {kill.ExitCode}.");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        TestArtifacts.Log(Name, line);
        lock (_output)
        {
            // Keep the tail only: a chatty service must not grow the test's memory without bound.
            if (_output.Length > 256 * 1024)
            {
                _output.Remove(0, _output.Length - (128 * 1024));
            }

            _output.AppendLine(line);
        }
    }
}
