using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Registry;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>A probe's registration and status as PostgreSQL knows them, with the last run's answer.</summary>
/// <param name="RegisteredAt">Registration time.</param>
/// <param name="ChangedAt">The registration's last change.</param>
/// <param name="StatusOnline">The last status message's state, or null.</param>
/// <param name="StatusAt">When the server received it.</param>
/// <param name="Previous">The previous run's state, or null.</param>
internal sealed record StoredProbeState(
    DateTimeOffset RegisteredAt, DateTimeOffset ChangedAt, bool? StatusOnline, DateTimeOffset? StatusAt, ProbeLiveness? Previous);

/// <summary>One probe's answer of a liveness run, to store and to write for Grafana.</summary>
internal sealed record ProbeLivenessRow(ProbeLocation Probe, ProbeLiveness Liveness, DateTimeOffset? LastHeard);

/// <summary>
/// The liveness job's reads and writes: the registry's evidence and the previous answers (PostgreSQL, table
/// <c>probe_liveness</c>), and one <c>probe_liveness</c> point per registered probe per run for the fleet dashboard
/// (tags <c>province</c>, <c>district</c>, <c>commune</c>, <c>probe</c>, and its links' <c>accesses</c>, <c>operators</c>,
/// <c>technologies</c> as sorted comma-separated lists; fields <c>state</c>, <c>since</c> and
/// <c>last_seen</c> in Unix milliseconds — Grafana's date units read them as they are —, <c>schedule_s</c>, and one
/// 1/0 field per state so that one query counts them all).
/// </summary>
internal sealed class LivenessStore(NpgsqlDataSource dataSource, InfluxDbClient influx)
{
    /// <summary>The measurement written for Grafana.</summary>
    public const string Measurement = "probe_liveness";

    /// <summary>Every registered probe's registration, last status and previous state, by probe id.</summary>
    public async Task<Dictionary<string, StoredProbeState>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT p.id, p.created_at, p.updated_at, s.state, s.received_at, l.state, l.since
            FROM probes p LEFT JOIN probe_status s ON s.probe_id = p.id LEFT JOIN probe_liveness l ON l.probe_id = p.id
            """);
        var result = new Dictionary<string, StoredProbeState>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var status = reader.IsDBNull(3) ? null : reader.GetString(3);
            var previous = reader.IsDBNull(5) ? null : ProbeLivenessStates.Parse(reader.GetString(5));
            result[reader.GetString(0)] = new StoredProbeState(
                reader.GetFieldValue<DateTimeOffset>(1),
                reader.GetFieldValue<DateTimeOffset>(2),
                status is null ? null : status == "online",
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                previous is { } state ? new ProbeLiveness(state, reader.GetFieldValue<DateTimeOffset>(6)) : null);
        }

        return result;
    }

    /// <summary>Stores this run's answers and writes their points (time = <paramref name="now"/>).</summary>
    public async Task SaveAsync(IReadOnlyList<ProbeLivenessRow> rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        await using (var command = dataSource.CreateCommand("""
            INSERT INTO probe_liveness (probe_id, state, since, checked_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])
            ON CONFLICT (probe_id) DO UPDATE SET state = excluded.state, since = excluded.since, checked_at = excluded.checked_at
            WHERE probe_liveness.checked_at <= excluded.checked_at
            """))
        {
            command.Parameters.Add(new() { Value = rows.Select(r => r.Probe.ProbeId).ToArray() });
            command.Parameters.Add(new() { Value = rows.Select(r => r.Liveness.State.ToName()).ToArray() });
            command.Parameters.Add(new() { Value = rows.Select(r => r.Liveness.Since.ToUniversalTime()).ToArray() });
            command.Parameters.Add(new() { Value = rows.Select(_ => now.ToUniversalTime()).ToArray() });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var lines = new LineBuilder(rows.Count * 256);
        var timestamp = WritePrecision.Seconds.ToTimestamp(now);
        foreach (var (probe, liveness, heard) in rows)
        {
            lines.Measurement(Measurement)
                .Tag("province", probe.ProvinceCode).Tag("district", probe.DistrictCode).Tag("commune", probe.CommuneCode).Tag("probe", probe.ProbeId)
                .Tag("accesses", List(probe.Links.Select(l => l.Access))).Tag("operators", List(probe.Links.Select(l => l.Operator)))
                .Tag("technologies", List(probe.Links.Select(l => l.Technology)))
                .Field("state", liveness.State.ToName())
                .Field("since", liveness.Since.ToUnixTimeMilliseconds());
            if (heard is { } h)
            {
                lines.Field("last_seen", h.ToUnixTimeMilliseconds());
            }

            lines.Field("schedule_s", (long)probe.ScheduleInterval.TotalSeconds);
            foreach (var state in ProbeLivenessStates.All)
            {
                lines.Field(state.ToName(), state == liveness.State ? 1L : 0L);
            }

            lines.Timestamp(timestamp);
        }

        await influx.WriteAsync(lines.ToString(), WritePrecision.Seconds, cancellationToken);
    }

    // The probe's links as one sorted, comma-separated tag value ("fixed,mobile"): the fleet dashboard's access, operator
    // and technology filters match one element of it. Link attributes pass NameRules at registration (no comma).
    private static string List(IEnumerable<string> values) => string.Join(',', values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
}
