using HaTangSo.Telemetry.Contracts.Releases;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>A probe's latest status, as the API shows it.</summary>
/// <param name="ProbeId">The probe.</param>
/// <param name="CommuneCode">Where it sits.</param>
/// <param name="DistrictCode">The former (pre-2025) district its commune counts in, or empty.</param>
/// <param name="ProvinceCode">Its province.</param>
/// <param name="Enabled">False once revoked.</param>
/// <param name="State">Last reported state (<c>online</c>, <c>offline</c> from the last will), or null if never heard.</param>
/// <param name="LastSeen">The latest status message or result the server received, or null.</param>
/// <param name="LastResultAt">When the probe says it last measured.</param>
/// <param name="QueueDepth">Results waiting on the probe's disk, as last reported.</param>
/// <param name="QueueEvicted">Results the probe had to drop because its queue was full, as last reported.</param>
/// <param name="AgentVersion">The probe agent's version.</param>
/// <param name="LastError">The probe's last reported error.</param>
/// <param name="Upgrade">The last signed upgrade as the probe reported it (trial, confirmed, rolled back), or null.</param>
public sealed record ProbeStatusRecord(
    string ProbeId, string CommuneCode, string DistrictCode, string ProvinceCode, bool Enabled, string? State, DateTimeOffset? LastSeen,
    DateTimeOffset? LastResultAt, long? QueueDepth, long? QueueEvicted, string? AgentVersion, string? LastError, UpgradeStatus? Upgrade = null);

/// <summary>Reads the probes' latest status messages (written by ingestion).</summary>
internal sealed class ProbeStatusStore(NpgsqlDataSource dataSource)
{
    /// <summary>Every probe (optionally of one province) with its last-seen time and queue depth.</summary>
    public async Task<List<ProbeStatusRecord>> ListAsync(string? provinceCode, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT p.id, p.commune_code, COALESCE(c.district_code, ''), COALESCE(c.province_code, ''), p.enabled, s.state,
                GREATEST(s.received_at, s.last_result_at), s.last_result_at, s.queue_depth, s.queue_evicted, s.agent_version, s.last_error,
                s.upgrade_state, s.upgrade_from, s.upgrade_to, s.upgrade_at, s.upgrade_detail
            FROM probes p LEFT JOIN region_units c ON c.version = p.catalogue_version AND c.level = 'commune' AND c.code = p.commune_code
            LEFT JOIN probe_status s ON s.probe_id = p.id
            WHERE $1::text IS NULL OR c.province_code = $1
            ORDER BY p.id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)provinceCode ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var records = new List<ProbeStatusRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? S(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            DateTimeOffset? T(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
            long? L(int i) => reader.IsDBNull(i) ? null : reader.GetInt64(i);
            var upgrade = UpgradeStateKinds.TryParse(S(12), out var kind)
                ? new UpgradeStatus { State = kind, From = S(13) ?? string.Empty, To = S(14) ?? string.Empty, At = T(15) ?? default, Detail = S(16) }
                : null;
            records.Add(new ProbeStatusRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4),
                S(5), T(6), T(7), L(8), L(9), S(10), S(11), upgrade));
        }

        return records;
    }
}
