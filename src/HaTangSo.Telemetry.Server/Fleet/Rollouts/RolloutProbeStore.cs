using HaTangSo.Telemetry.Contracts.Releases;
using Npgsql;
using NpgsqlTypes;

namespace HaTangSo.Telemetry.Server.Fleet.Rollouts;

/// <summary>
/// The <c>rollout_probes</c> table (migration 0019): the plan, and when each probe's wave reached it. What became of the
/// probe is read from its command and its status (joined here, written by the command channel and ingestion).
/// </summary>
internal sealed class RolloutProbeStore(NpgsqlDataSource dataSource)
{
    /// <summary>Adds the plan inside the transaction that adds the roll-out.</summary>
    public static async Task AddPlanAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid rolloutId, IReadOnlyList<IReadOnlyList<string>> waves, CancellationToken cancellationToken)
    {
        var rows = waves.SelectMany((probes, wave) => probes.Select(p => (Probe: p, Wave: wave))).ToArray();
        await using var sql = new NpgsqlCommand("""
            INSERT INTO rollout_probes (rollout_id, probe_id, wave, position)
            SELECT $1, x.probe, x.wave, x.position FROM unnest($2::text[], $3::integer[], $4::integer[]) AS x (probe, wave, position)
            """, connection, transaction);
        sql.Parameters.Add(new() { Value = rolloutId });
        sql.Parameters.Add(new() { Value = rows.Select(r => r.Probe).ToArray() });
        sql.Parameters.Add(new() { Value = rows.Select(r => r.Wave).ToArray() });
        sql.Parameters.Add(new() { Value = Enumerable.Range(0, rows.Length).ToArray() });
        await sql.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Every probe of the roll-out in order, with its command's state and its latest status.</summary>
    public async Task<List<RolloutProbe>> ListAsync(Guid rolloutId, CancellationToken cancellationToken)
    {
        // A queued or delivered command past its expiry is expired, as CommandStore reads it.
        await using var sql = dataSource.CreateCommand("""
            SELECT r.probe_id, r.wave, r.issued_at, r.already_at, r.command_id,
                CASE WHEN c.state IN ('queued', 'delivered') AND c.expires_at <= now() THEN 'expired' ELSE c.state END, c.reason,
                s.agent_version, s.upgrade_state, s.upgrade_from, s.upgrade_to, s.upgrade_at, s.upgrade_detail
            FROM rollout_probes r LEFT JOIN probe_commands c ON c.id = r.command_id LEFT JOIN probe_status s ON s.probe_id = r.probe_id
            WHERE r.rollout_id = $1 ORDER BY r.position
            """);
        sql.Parameters.Add(new() { Value = rolloutId });
        var probes = new List<RolloutProbe>();
        await using var reader = await sql.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? S(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            DateTimeOffset? T(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
            var upgrade = UpgradeStateKinds.TryParse(S(8), out var kind)
                ? new UpgradeStatus { State = kind, From = S(9) ?? string.Empty, To = S(10) ?? string.Empty, At = T(11) ?? default, Detail = S(12) }
                : null;
            probes.Add(new RolloutProbe(
                reader.GetString(0), reader.GetInt32(1), T(2), S(3), reader.IsDBNull(4) ? null : reader.GetGuid(4), S(5), S(6), S(7), upgrade));
        }

        return probes;
    }

    /// <summary>Records that the probe's wave reached it: with its command, or already at <paramref name="alreadyAt"/>. Once only.</summary>
    public async Task<bool> MarkIssuedAsync(
        Guid rolloutId, string probeId, Guid? commandId, string? alreadyAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var sql = dataSource.CreateCommand("""
            UPDATE rollout_probes SET command_id = $3, already_at = $4, issued_at = $5
            WHERE rollout_id = $1 AND probe_id = $2 AND issued_at IS NULL
            """);
        sql.Parameters.Add(new() { Value = rolloutId });
        sql.Parameters.Add(new() { Value = probeId });
        sql.Parameters.Add(new() { Value = (object?)commandId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        sql.Parameters.Add(new() { Value = (object?)alreadyAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        sql.Parameters.Add(new() { Value = now.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return await sql.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
