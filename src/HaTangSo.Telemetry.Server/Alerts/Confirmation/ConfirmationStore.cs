using Npgsql;
using NpgsqlTypes;

namespace HaTangSo.Telemetry.Server.Alerts.Confirmation;

/// <summary>
/// The <c>alert_confirmations</c> table (migration 0016): one row per confirmation round. The alert store calls it inside
/// its own transaction (the streak row locked), so two instances evaluating the same hour start one round and open one
/// alert.
/// </summary>
internal sealed class ConfirmationStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "id, kind, scope_key, server_id, state, requested_at, deadline, commands, finished_at, metric, results, value, threshold, met, alert_id";

    /// <summary>The pending round of a scope, or null.</summary>
    public static async Task<ConfirmationRecord?> PendingAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, string scope, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM alert_confirmations WHERE kind = $1 AND scope_key = $2 AND state = 'pending' FOR UPDATE", connection, transaction);
        command.Parameters.Add(new() { Value = kind });
        command.Parameters.Add(new() { Value = scope });
        return (await ReadAsync(command, cancellationToken)) is [var round] ? round : null;
    }

    /// <summary>Starts a round (none when one is pending already); its id or null.</summary>
    public static async Task<long?> StartAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, string scope, string serverId, DateTimeOffset requestedAt,
        DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO alert_confirmations (kind, scope_key, server_id, state, requested_at, deadline) VALUES ($1, $2, $3, 'pending', $4, $5)
            ON CONFLICT (kind, scope_key) WHERE state = 'pending' DO NOTHING RETURNING id
            """, connection, transaction);
        command.Parameters.Add(new() { Value = kind });
        command.Parameters.Add(new() { Value = scope });
        command.Parameters.Add(new() { Value = serverId });
        command.Parameters.Add(new() { Value = requestedAt });
        command.Parameters.Add(new() { Value = deadline });
        return (long?)await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Records how many measurements were asked for.</summary>
    public async Task SetCommandsAsync(long id, int commands, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE alert_confirmations SET commands = $2 WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = commands });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Ends a round with what it found and the alert it opened.</summary>
    public static async Task FinishAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long id, ConfirmationState state, string metric, ConfirmationFinding finding,
        long? alertId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE alert_confirmations SET state = $2, finished_at = $3, metric = $4, results = $5, value = $6, threshold = $7, met = $8, alert_id = $9
            WHERE id = $1
            """, connection, transaction);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = state.ToName() });
        command.Parameters.Add(new() { Value = at });
        command.Parameters.Add(new() { Value = metric });
        command.Parameters.Add(new() { Value = finding.Results });
        command.Parameters.Add(new() { Value = (object?)finding.Value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
        command.Parameters.Add(new() { Value = finding.Threshold });
        command.Parameters.Add(new() { Value = (object?)finding.Met ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean });
        command.Parameters.Add(new() { Value = (object?)alertId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Cancels the pending round of a scope (the area is no longer below); true when there was one.</summary>
    public static async Task<bool> CancelAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, string scope, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE alert_confirmations SET state = 'cancelled', finished_at = $3 WHERE kind = $1 AND scope_key = $2 AND state = 'pending'",
            connection, transaction);
        command.Parameters.Add(new() { Value = kind });
        command.Parameters.Add(new() { Value = scope });
        command.Parameters.Add(new() { Value = at });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>The latest rounds, newest first (optionally of one state).</summary>
    public async Task<List<ConfirmationRecord>> ListAsync(ConfirmationState? state, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM alert_confirmations WHERE ($1::text IS NULL OR state = $1) ORDER BY requested_at DESC, id DESC LIMIT $2");
        command.Parameters.Add(new() { Value = (object?)state?.ToName() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = limit });
        return await ReadAsync(command, cancellationToken);
    }

    private static async Task<List<ConfirmationRecord>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rounds = new List<ConfirmationRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            T? Nullable<T>(int i) where T : struct => reader.IsDBNull(i) ? null : reader.GetFieldValue<T>(i);
            rounds.Add(new ConfirmationRecord(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetInt32(7),
                Nullable<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetString(9), Nullable<int>(10), Nullable<double>(11),
                Nullable<double>(12), Nullable<bool>(13), Nullable<long>(14)));
        }

        return rounds;
    }
}
