using Microsoft.Data.Sqlite;

namespace HaTangSo.Telemetry.Probe.Queue;

/// <summary>A queued result: its position (oldest first), id and the exact bytes to publish.</summary>
internal sealed record QueuedResult(long Sequence, string ResultId, byte[] Payload);

/// <summary>
/// The durable result queue: every result is committed here (SQLite, WAL, <c>synchronous=FULL</c>, so a
/// commit survives a power cut) before it is published, and removed only after the broker's PUBACK.
/// Bounded: when full, the oldest result is evicted in the same transaction as the new one is added, and
/// the eviction is counted in the file itself, so it is reported even across restarts.
/// </summary>
internal sealed class ResultQueue : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

    private ResultQueue(SqliteConnection connection, int capacity)
    {
        _connection = connection;
        Capacity = capacity;
    }

    /// <summary>Results kept at most.</summary>
    public int Capacity { get; }

    /// <summary>Opens (creating if needed) the queue file at <paramref name="path"/>.</summary>
    public static ResultQueue Open(string path, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                CREATE TABLE IF NOT EXISTS results (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    result_id TEXT NOT NULL UNIQUE,
                    payload BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT OR IGNORE INTO counters (name, value) VALUES ('evicted', 0);
                """);
            return new ResultQueue(connection, capacity);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Adds a result (a result already queued under the same id is kept as it is); evicts the oldest when full.
    /// Returns how many were evicted to make room.
    /// </summary>
    public int Enqueue(string resultId, byte[] payload)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            var evicted = 0;
            var excess = Count(transaction) + 1 - Capacity;
            if (excess > 0)
            {
                evicted = Execute(_connection, transaction,
                    "DELETE FROM results WHERE seq IN (SELECT seq FROM results ORDER BY seq LIMIT $n)", ("$n", excess));
                Execute(_connection, transaction, "UPDATE counters SET value = value + $n WHERE name = 'evicted'", ("$n", evicted));
            }

            Execute(_connection, transaction,
                "INSERT OR IGNORE INTO results (result_id, payload) VALUES ($id, $payload)", ("$id", resultId), ("$payload", payload));
            transaction.Commit();
            return evicted;
        }
    }

    /// <summary>
    /// The next results to publish: the <paramref name="oldest"/> oldest, plus the newest when it is not among
    /// them, so a long backlog drains oldest first without holding back the latest figure.
    /// </summary>
    public IReadOnlyList<QueuedResult> NextBatch(int oldest)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                SELECT seq, result_id, payload FROM (SELECT * FROM results ORDER BY seq LIMIT $n)
                UNION
                SELECT seq, result_id, payload FROM (SELECT * FROM results ORDER BY seq DESC LIMIT 1)
                ORDER BY seq
                """;
            command.Parameters.AddWithValue("$n", oldest);
            using var reader = command.ExecuteReader();
            var batch = new List<QueuedResult>();
            while (reader.Read())
            {
                batch.Add(new QueuedResult(reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2)));
            }

            return batch;
        }
    }

    /// <summary>Removes a result the broker has acknowledged.</summary>
    public void Remove(long sequence)
    {
        lock (_lock)
        {
            Execute(_connection, null, "DELETE FROM results WHERE seq = $seq", ("$seq", sequence));
        }
    }

    /// <summary>Results waiting.</summary>
    public long Depth
    {
        get
        {
            lock (_lock)
            {
                return Count(null);
            }
        }
    }

    /// <summary>Results evicted since the queue file was created.</summary>
    public long Evicted
    {
        get
        {
            lock (_lock)
            {
                using var command = _connection.CreateCommand();
                command.CommandText = "SELECT value FROM counters WHERE name = 'evicted'";
                return (long)command.ExecuteScalar()!;
            }
        }
    }

    public void Dispose() => _connection.Dispose();

    private long Count(SqliteTransaction? transaction)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT count(*) FROM results";
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command.ExecuteNonQuery();
    }
}
