using HaTangSo.Telemetry.Contracts.Fleet;
using Npgsql;
using NpgsqlTypes;

namespace HaTangSo.Telemetry.Server.Fleet;

/// <summary>A command as the registry holds it.</summary>
/// <param name="CommandId">Server-generated (UUID v7).</param>
/// <param name="ProbeId">The probe addressed.</param>
/// <param name="Kind">A <see cref="CommandKinds"/> name.</param>
/// <param name="Link">The link asked for; null: every link.</param>
/// <param name="State">queued, delivered, done, expired, refused or failed (<see cref="CommandStates"/>).</param>
/// <param name="Reason">Why it was refused, failed or expired, as the probe said.</param>
/// <param name="ResultIds">The results stored for it so far.</param>
/// <param name="ExpectedResults">Results that make it done (one per link asked for).</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="ExpiresAt">When it stops being valid.</param>
/// <param name="PublishedAt">When it was put on the broker.</param>
/// <param name="DeliveredAt">When the probe acknowledged it.</param>
/// <param name="FinishedAt">When it reached a final state.</param>
/// <param name="ServerId">The speed-test server to measure against (one of the probe's configuration); null: its primary.</param>
/// <param name="Version"><c>upgrade</c>: the release to install; null: the latest.</param>
/// <param name="AllowDowngrade"><c>upgrade</c>: install even when it is not newer than the probe's version.</param>
public sealed record CommandRecord(
    Guid CommandId, string ProbeId, string Kind, string? Link, string State, string? Reason, IReadOnlyList<string> ResultIds, int ExpectedResults,
    DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? PublishedAt, DateTimeOffset? DeliveredAt, DateTimeOffset? FinishedAt,
    string? ServerId = null, string? Version = null, bool AllowDowngrade = false);

/// <summary>The <c>probe_commands</c> table (migration 0013).</summary>
internal sealed class CommandStore(NpgsqlDataSource dataSource)
{
    // A queued or delivered command past its expiry is expired, whether or not anyone wrote that down.
    private const string Columns = """
        id, probe_id, kind, link,
        CASE WHEN state IN ('queued', 'delivered') AND expires_at <= now() THEN 'expired' ELSE state END,
        reason, result_ids, expected_results, created_at, expires_at, published_at, delivered_at, finished_at, server_id, version, allow_downgrade
        """;

    public async Task AddAsync(CommandRecord command, CancellationToken cancellationToken)
    {
        await using var sql = dataSource.CreateCommand("""
            INSERT INTO probe_commands (id, probe_id, kind, link, expected_results, created_at, expires_at, server_id, version, allow_downgrade)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """);
        sql.Parameters.Add(new() { Value = command.CommandId });
        sql.Parameters.Add(new() { Value = command.ProbeId });
        sql.Parameters.Add(new() { Value = command.Kind });
        sql.Parameters.Add(new() { Value = (object?)command.Link ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        sql.Parameters.Add(new() { Value = command.ExpectedResults });
        sql.Parameters.Add(new() { Value = command.CreatedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        sql.Parameters.Add(new() { Value = command.ExpiresAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        sql.Parameters.Add(new() { Value = (object?)command.ServerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        sql.Parameters.Add(new() { Value = (object?)command.Version ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        sql.Parameters.Add(new() { Value = command.AllowDowngrade });
        await sql.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The command, or null (also when it belongs to another probe).</summary>
    public async Task<CommandRecord?> GetAsync(string probeId, Guid commandId, CancellationToken cancellationToken) =>
        (await ReadAsync($"SELECT {Columns} FROM probe_commands WHERE probe_id = $1 AND id = $2", cancellationToken, probeId, commandId)) is [var c] ? c : null;

    /// <summary>Commands not yet on the broker and still valid, oldest first.</summary>
    public Task<List<CommandRecord>> UnpublishedAsync(CancellationToken cancellationToken) => ReadAsync(
        $"SELECT {Columns} FROM probe_commands WHERE published_at IS NULL AND state = 'queued' AND expires_at > now() ORDER BY created_at LIMIT 500",
        cancellationToken);

    public async Task MarkPublishedAsync(Guid commandId, CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE probe_commands SET published_at = now() WHERE id = $1 AND published_at IS NULL", cancellationToken, commandId);

    /// <summary>
    /// Records the probe's acknowledgement. Only the probe's own command moves, and only forward: delivered after queued;
    /// refused, expired or failed before done (a late or repeated acknowledgement changes nothing). A command past its
    /// expiry is expired (final) whatever its row says, so only an <c>expired</c> acknowledgement still touches it — and
    /// an upgrade's <c>done</c>: the probe started it in time, and a download over a weak link may end after the expiry.
    /// Done comes from the probe only for an upgrade (installed); a measurement is done when its results are stored.
    /// </summary>
    public async Task<bool> AcknowledgeAsync(string probeId, Guid commandId, string state, string? reason, CancellationToken cancellationToken) =>
        await ExecuteAsync("""
            UPDATE probe_commands SET state = $3, reason = $4,
                delivered_at = COALESCE(delivered_at, now()),
                finished_at = CASE WHEN $3 = 'delivered' THEN finished_at ELSE now() END
            WHERE id = $2 AND probe_id = $1 AND (expires_at > now() OR $3 = 'expired' OR ($3 = 'done' AND kind = 'upgrade')) AND (
                ($3 = 'delivered' AND state = 'queued') OR ($3 IN ('refused', 'expired', 'failed') AND state IN ('queued', 'delivered'))
                OR ($3 = 'done' AND kind = 'upgrade' AND state IN ('queued', 'delivered')))
            """, cancellationToken, probeId, commandId, state, (object?)reason ?? DBNull.Value) == 1;

    /// <summary>
    /// Withdraws the commands among <paramref name="commandIds"/> that have not reached the broker yet (a cancelled
    /// roll-out): they end <c>expired</c> with <paramref name="reason"/>. One already published stays with the probe.
    /// </summary>
    public async Task<int> WithdrawAsync(IReadOnlyCollection<Guid> commandIds, string reason, CancellationToken cancellationToken)
    {
        if (commandIds.Count == 0)
        {
            return 0;
        }

        await using var sql = dataSource.CreateCommand("""
            UPDATE probe_commands SET state = 'expired', reason = $2, finished_at = now()
            WHERE id = ANY ($1) AND state = 'queued' AND published_at IS NULL
            """);
        sql.Parameters.Add(new() { Value = commandIds.ToArray() });
        sql.Parameters.Add(new() { Value = reason });
        return await sql.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The commands among <paramref name="claims"/> that really were issued to the probe that claims them.</summary>
    public async Task<HashSet<(Guid, string)>> OwnedAsync(IReadOnlyCollection<(Guid CommandId, string ProbeId)> claims, CancellationToken cancellationToken)
    {
        var owned = new HashSet<(Guid, string)>();
        if (claims.Count == 0)
        {
            return owned;
        }

        await using var sql = dataSource.CreateCommand("""
            SELECT c.id, c.probe_id FROM probe_commands c JOIN unnest($1::uuid[], $2::text[]) AS x (id, probe) ON c.id = x.id AND c.probe_id = x.probe
            """);
        sql.Parameters.Add(new() { Value = claims.Select(c => c.CommandId).ToArray() });
        sql.Parameters.Add(new() { Value = claims.Select(c => c.ProbeId).ToArray() });
        await using var reader = await sql.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            owned.Add((reader.GetGuid(0), reader.GetString(1)));
        }

        return owned;
    }

    /// <summary>
    /// Adds a stored result to its measure command (once per result id); the command is done when every link asked for
    /// has one. Only a command the probe may still be answering moves: queued, delivered, done (a further link), or expired
    /// here (measured in time, delivered late after an outage). One the probe refused or failed, and an upgrade, keep
    /// their state: a result naming them is stored as an ordinary result.
    /// </summary>
    public async Task ResultStoredAsync(string probeId, Guid commandId, string resultId, CancellationToken cancellationToken) =>
        await ExecuteAsync("""
            UPDATE probe_commands SET result_ids = array_append(result_ids, $3),
                state = CASE WHEN cardinality(result_ids) + 1 >= expected_results THEN 'done' ELSE state END,
                delivered_at = COALESCE(delivered_at, now()),
                finished_at = CASE WHEN cardinality(result_ids) + 1 >= expected_results THEN now() ELSE finished_at END
            WHERE id = $2 AND probe_id = $1 AND NOT ($3 = ANY (result_ids))
                AND kind = 'measure' AND state IN ('queued', 'delivered', 'done', 'expired')
            """, cancellationToken, probeId, commandId, resultId);

    private async Task<int> ExecuteAsync(string text, CancellationToken cancellationToken, params object[] values)
    {
        await using var sql = dataSource.CreateCommand(text);
        foreach (var value in values)
        {
            sql.Parameters.Add(value is DBNull ? new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Text } : new NpgsqlParameter { Value = value });
        }

        return await sql.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<List<CommandRecord>> ReadAsync(string text, CancellationToken cancellationToken, params object[] values)
    {
        await using var sql = dataSource.CreateCommand(text);
        foreach (var value in values)
        {
            sql.Parameters.Add(new() { Value = value });
        }

        var records = new List<CommandRecord>();
        await using var reader = await sql.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new CommandRecord(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<string[]>(6), reader.GetInt32(7),
                reader.GetFieldValue<DateTimeOffset>(8), reader.GetFieldValue<DateTimeOffset>(9), Time(reader, 10), Time(reader, 11), Time(reader, 12),
                reader.IsDBNull(13) ? null : reader.GetString(13), reader.IsDBNull(14) ? null : reader.GetString(14), reader.GetBoolean(15)));
        }

        return records;
    }

    private static DateTimeOffset? Time(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
