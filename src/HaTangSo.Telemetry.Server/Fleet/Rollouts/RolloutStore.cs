using Npgsql;
using NpgsqlTypes;

namespace HaTangSo.Telemetry.Server.Fleet.Rollouts;

/// <summary>The states of a roll-out (<c>rollouts.state</c>).</summary>
public static class RolloutStates
{
    /// <summary>Issuing waves as the previous ones succeed.</summary>
    public const string Running = "running";

    /// <summary>Stopped by an operator; resumes where it stood.</summary>
    public const string Paused = "paused";

    /// <summary>Stopped because a wave passed the failure threshold (<see cref="RolloutRecord.Reason"/> says how).</summary>
    public const string Halted = "halted";

    /// <summary>Every wave passed.</summary>
    public const string Completed = "completed";

    /// <summary>Stopped for good by an operator.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The states in which a roll-out still holds its probes (one such roll-out at a time).</summary>
    public static readonly IReadOnlyList<string> Active = [Running, Paused, Halted];
}

/// <summary>A roll-out as the registry holds it.</summary>
/// <param name="RolloutId">Server-generated (UUID v7).</param>
/// <param name="Version">The release.</param>
/// <param name="Architectures">The architectures it is offered for (each probe fetches its own).</param>
/// <param name="Scope">The scope as given, for people.</param>
/// <param name="WaveSizes">Probes per wave.</param>
/// <param name="Threshold">When a wave halts it.</param>
/// <param name="ReportWithin">How long a probe has, from its wave's start, to report the release.</param>
/// <param name="State">A <see cref="RolloutStates"/> value.</param>
/// <param name="Reason">Why it halted (or who paused or cancelled it).</param>
/// <param name="CurrentWave">The last wave whose commands were issued (0-based); -1 before the first.</param>
/// <param name="AcceptedWave">The last wave an operator resumed past despite its failures; -1 if none.</param>
/// <param name="CreatedAt">When it was ordered.</param>
/// <param name="UpdatedAt">When its state or wave last changed.</param>
/// <param name="FinishedAt">When it completed or was cancelled.</param>
public sealed record RolloutRecord(
    Guid RolloutId, string Version, IReadOnlyList<string> Architectures, string Scope, IReadOnlyList<int> WaveSizes, FailureThreshold Threshold,
    TimeSpan ReportWithin, string State, string? Reason, int CurrentWave, int AcceptedWave, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt);

/// <summary>The <c>rollouts</c> table (migration 0019). Every change is a guarded update: a state moves only from the states it may leave.</summary>
internal sealed class RolloutStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, version, architectures, scope, wave_sizes, max_failed_probes, max_failed_percent, report_within_seconds, state, reason,
        current_wave, accepted_wave, created_at, updated_at, finished_at
        """;

    /// <summary>Adds the roll-out inside <paramref name="transaction"/> (with its plan).</summary>
    public static async Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RolloutRecord rollout, CancellationToken cancellationToken)
    {
        await using var sql = new NpgsqlCommand("""
            INSERT INTO rollouts (id, version, architectures, scope, wave_sizes, max_failed_probes, max_failed_percent, report_within_seconds, state, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
            """, connection, transaction);
        sql.Parameters.Add(new() { Value = rollout.RolloutId });
        sql.Parameters.Add(new() { Value = rollout.Version });
        sql.Parameters.Add(new() { Value = rollout.Architectures.ToArray() });
        sql.Parameters.Add(new() { Value = rollout.Scope });
        sql.Parameters.Add(new() { Value = rollout.WaveSizes.ToArray() });
        sql.Parameters.Add(new() { Value = (object?)rollout.Threshold.MaxFailedProbes ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        sql.Parameters.Add(new() { Value = (object?)rollout.Threshold.MaxFailedPercent ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
        sql.Parameters.Add(new() { Value = (int)rollout.ReportWithin.TotalSeconds });
        sql.Parameters.Add(new() { Value = rollout.State });
        sql.Parameters.Add(new() { Value = rollout.CreatedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await sql.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The roll-out, or null.</summary>
    public async Task<RolloutRecord?> GetAsync(Guid rolloutId, CancellationToken cancellationToken) =>
        (await ReadAsync($"SELECT {Columns} FROM rollouts WHERE id = $1", cancellationToken, rolloutId)) is [var r] ? r : null;

    /// <summary>The latest roll-outs first.</summary>
    public Task<List<RolloutRecord>> ListAsync(CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {Columns} FROM rollouts ORDER BY created_at DESC LIMIT 200", cancellationToken);

    /// <summary>The roll-outs that still hold their probes (running, paused, halted), oldest first.</summary>
    public Task<List<RolloutRecord>> ActiveAsync(CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {Columns} FROM rollouts WHERE state IN ('running', 'paused', 'halted') ORDER BY created_at", cancellationToken);

    /// <summary>
    /// Moves the roll-out to <paramref name="state"/> if it is in one of <paramref name="from"/>; true if it moved.
    /// Resuming a halted roll-out accepts its current wave's failures (<c>accepted_wave</c>).
    /// </summary>
    public async Task<bool> MoveAsync(Guid rolloutId, string[] from, string state, string? reason, DateTimeOffset now, CancellationToken cancellationToken) =>
        await ExecuteAsync("""
            UPDATE rollouts SET state = $3, reason = $4, updated_at = $5,
                accepted_wave = CASE WHEN state = 'halted' AND $3 = 'running' THEN current_wave ELSE accepted_wave END,
                finished_at = CASE WHEN $3 IN ('completed', 'cancelled') THEN $5 ELSE finished_at END
            WHERE id = $1 AND state = ANY ($2)
            """, cancellationToken, rolloutId, from, state, (object?)reason ?? DBNull.Value, now.UtcDateTime) == 1;

    /// <summary>Records that wave <paramref name="wave"/> was issued, if the previous one was the current one and it still runs.</summary>
    public async Task<bool> AdvanceAsync(Guid rolloutId, int wave, DateTimeOffset now, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            "UPDATE rollouts SET current_wave = $2, updated_at = $3 WHERE id = $1 AND current_wave = $2 - 1 AND state = 'running'",
            cancellationToken, rolloutId, wave, now.UtcDateTime) == 1;

    private async Task<int> ExecuteAsync(string text, CancellationToken cancellationToken, params object[] values)
    {
        await using var sql = dataSource.CreateCommand(text);
        foreach (var value in values)
        {
            sql.Parameters.Add(value is DBNull
                ? new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Text }
                : value is DateTime ? new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.TimestampTz } : new NpgsqlParameter { Value = value });
        }

        return await sql.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<List<RolloutRecord>> ReadAsync(string text, CancellationToken cancellationToken, params object[] values)
    {
        await using var sql = dataSource.CreateCommand(text);
        foreach (var value in values)
        {
            sql.Parameters.Add(new() { Value = value });
        }

        var records = new List<RolloutRecord>();
        await using var reader = await sql.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new RolloutRecord(
                reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<string[]>(2), reader.GetString(3), reader.GetFieldValue<int[]>(4),
                new FailureThreshold(reader.IsDBNull(5) ? null : reader.GetInt32(5), reader.IsDBNull(6) ? null : reader.GetDouble(6)),
                TimeSpan.FromSeconds(reader.GetInt32(7)), reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.GetInt32(10), reader.GetInt32(11), reader.GetFieldValue<DateTimeOffset>(12), reader.GetFieldValue<DateTimeOffset>(13),
                reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14)));
        }

        return records;
    }
}
