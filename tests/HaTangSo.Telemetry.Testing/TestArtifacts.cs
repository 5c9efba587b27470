using System.Collections.Concurrent;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// What a full test run leaves for <c>tests/run.sh</c> to check when <c>HTS_TEST_ARTIFACTS</c> names a directory:
/// every line that a service under test printed (<c>processes-*.log</c>), and every password and key the tests used
/// (<c>secrets-*.txt</c>). The run then fails if any secret appears in any log.
/// </summary>
public static class TestArtifacts
{
    private static readonly string? s_directory = Environment.GetEnvironmentVariable("HTS_TEST_ARTIFACTS");
    private static readonly string s_suffix = $"{Environment.ProcessId}";
    private static readonly ConcurrentDictionary<string, bool> s_recorded = new(StringComparer.Ordinal);
    private static readonly Lock s_logLock = new();
    private static StreamWriter? s_log;

    /// <summary>Notes a secret the tests use, so that the run can prove no log contains it.</summary>
    public static string Secret(string secret)
    {
        if (s_directory is not null && secret.Length > 0 && s_recorded.TryAdd(secret, true))
        {
            lock (s_recorded)
            {
                File.AppendAllLines(Path.Combine(s_directory, $"secrets-{s_suffix}.txt"), [secret]);
            }
        }

        return secret;
    }

    /// <summary>Keeps a line a service printed.</summary>
    public static void Log(string process, string line)
    {
        if (s_directory is null)
        {
            return;
        }

        lock (s_logLock)
        {
            s_log ??= new StreamWriter(Path.Combine(s_directory, $"processes-{s_suffix}.log"), append: true) { AutoFlush = true };
            s_log.Write(process);
            s_log.Write(": ");
            s_log.WriteLine(line);
        }
    }
}
