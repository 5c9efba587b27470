using System.Globalization;
using Npgsql;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// A real PostgreSQL cluster on a free loopback port in a temporary directory. PostgreSQL refuses to run
/// as root, so when the tests run as root the cluster is created and run as the <c>postgres</c> user.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly TestProcess _process;

    private PostgresServer(TempDirectory directory, TestProcess process, int port)
    {
        _directory = directory;
        _process = process;
        Port = port;
    }

    /// <summary>The port PostgreSQL listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>The postmaster's process id (its backends are its children): for benchmarks that read its CPU time.</summary>
    public int ProcessId => _process.Id;

    /// <summary>A connection string to <paramref name="database"/> as the superuser.</summary>
    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            Pooling = true,
            Timeout = 15,
        }.ConnectionString;

    /// <summary>Creates and starts a test cluster (no fsync); returns when it accepts connections.</summary>
    public static Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync(durable: false, cancellationToken);

    /// <summary>
    /// Creates and starts a cluster; returns when it accepts connections. <paramref name="durable"/>: PostgreSQL's own
    /// defaults (fsync, synchronous commit, full-page writes), as production runs it — for benchmarks of what a write
    /// costs; tests leave it off.
    /// </summary>
    public static async Task<PostgresServer> StartAsync(bool durable, CancellationToken cancellationToken = default)
    {
        var bin = FindBinDirectory();
        var directory = new TempDirectory("hts-postgres");
        var data = Path.Combine(directory.Path, "data");
        var port = FreePort.Next();

        await using (var initdb = TestProcess.Start(
            "initdb",
            AsPostgres(Path.Combine(bin, "initdb")).FileName,
            [.. AsPostgres(Path.Combine(bin, "initdb")).Arguments, "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"]))
        {
            await initdb.WaitForExitAsync(TimeSpan.FromMinutes(2), cancellationToken);
        }

        var postgres = AsPostgres(Path.Combine(bin, "postgres"));
        var process = TestProcess.Start(
            "postgres",
            postgres.FileName,
            [
                .. postgres.Arguments, "-D", data, "-p", port.ToString(CultureInfo.InvariantCulture),
                "-k", directory.Path, "-c", "listen_addresses=127.0.0.1",
                // A test cluster: durability of the test database itself is not under test.
                .. (durable ? (string[])[] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
                "-c", "max_connections=200",
            ]);
        var server = new PostgresServer(directory, process, port);
        await process.WaitUntilAsync(server.AcceptsConnectionsAsync, TimeSpan.FromSeconds(60), "accepting connections", cancellationToken);
        return server;
    }

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null, string? template = null, CancellationToken cancellationToken = default)
    {
        name ??= "t_" + Guid.NewGuid().ToString("N")[..16];
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync(cancellationToken);
        // A template (a database already migrated and loaded with the region catalogue) is copied file by file: much
        // faster than loading the catalogue again for every test.
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"" + (template is null ? string.Empty : $" TEMPLATE \"{template}\""), connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionString(name);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await _process.StopAsync(TimeSpan.FromSeconds(15));
        await _process.DisposeAsync();
        _directory.Dispose();
    }

    private async Task<bool> AcceptsConnectionsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString());
            await connection.OpenAsync(cancellationToken);
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    private static string FindBinDirectory()
    {
        var root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "postgres")))
                .OrderByDescending(d => d, StringComparer.Ordinal)
                .FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found under /usr/lib/postgresql: run tests/run.sh (it installs postgresql with apt-get).");
    }

    // PostgreSQL refuses to run as root; setpriv execs in place, so signals reach postgres itself.
    private static (string FileName, string[] Arguments) AsPostgres(string executable) =>
        Environment.UserName == "root"
            ? ("/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", executable])
            : (executable, []);
}
