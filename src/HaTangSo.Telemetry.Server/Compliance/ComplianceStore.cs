using HaTangSo.Telemetry.InfluxDb;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>Compliance history in PostgreSQL, and the current status as <c>compliance</c> points for Grafana.</summary>
internal sealed class ComplianceStore(NpgsqlDataSource dataSource, InfluxDbClient influx)
{
    /// <summary>Stores one evaluation's rows; a second instance evaluating the same instant changes nothing.</summary>
    public async Task SaveAsync(string windowKind, DateTimeOffset evaluatedAt, IReadOnlyList<DistrictCompliance> rows, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var row in rows)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO compliance_evaluations (evaluated_at, window_kind, window_start, window_end, province_code, district_code, access,
                    technology, target_id, metric, statistic, value, threshold, samples, status)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                ON CONFLICT (window_kind, evaluated_at, district_code, access, technology) DO NOTHING
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = evaluatedAt });
            command.Parameters.Add(new NpgsqlParameter { Value = windowKind });
            command.Parameters.Add(new NpgsqlParameter { Value = row.WindowStart });
            command.Parameters.Add(new NpgsqlParameter { Value = row.WindowEnd });
            command.Parameters.Add(new NpgsqlParameter { Value = row.ProvinceCode });
            command.Parameters.Add(new NpgsqlParameter { Value = row.DistrictCode });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Access });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Technology });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.Target?.Id ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.Target?.Metric ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.Target?.Statistic ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.Value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.Target?.Threshold ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Samples });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Status });
            batch.BatchCommands.Add(command);
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        var lines = new LineBuilder();
        foreach (var row in rows)
        {
            lines.Measurement("compliance")
                .Tag("province", row.ProvinceCode).Tag("district", row.DistrictCode).Tag("access", row.Access)
                .Tag("technology", row.Technology).Tag("window", windowKind).Tag("metric", row.Target?.Metric)
                .Field("value", row.Value).Field("threshold", row.Target?.Threshold).Field("samples", (long)row.Samples)
                .Field("met", row.Status == ComplianceStatus.Met ? 1L : 0L).Field("status", row.Status)
                .Timestamp(WritePrecision.Seconds.ToTimestamp(evaluatedAt));
        }

        if (lines.Count > 0)
        {
            await influx.WriteAsync(lines.ToString(), WritePrecision.Seconds, cancellationToken);
        }
    }

    /// <summary>The latest evaluation of each district × access × technology of a province (optionally one district).</summary>
    public async Task<List<ComplianceRecord>> LatestAsync(string windowKind, string provinceCode, string? districtCode, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT DISTINCT ON (e.district_code, e.access, e.technology) e.evaluated_at, e.window_start, e.window_end, e.district_code, d.name,
                e.access, e.technology, e.metric, e.statistic, e.value, e.threshold, e.samples, e.status, t.source
            FROM compliance_evaluations e JOIN districts d ON d.code = e.district_code LEFT JOIN targets t ON t.id = e.target_id
            WHERE e.window_kind = $1 AND e.province_code = $2 AND ($3::text IS NULL OR e.district_code = $3)
            ORDER BY e.district_code, e.access, e.technology, e.evaluated_at DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = windowKind });
        command.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)districtCode ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var records = new List<ComplianceRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new ComplianceRecord(
                reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetDouble(9), reader.IsDBNull(10) ? null : reader.GetDouble(10),
                reader.GetInt32(11), reader.GetString(12), reader.IsDBNull(13) ? null : reader.GetString(13)));
        }

        return records;
    }
}

/// <summary>A stored evaluation, as the API shows it.</summary>
public sealed record ComplianceRecord(
    DateTimeOffset EvaluatedAt, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, string DistrictCode, string DistrictName,
    string Access, string Technology, string? Metric, string? Statistic, double? Value, double? Threshold, int Samples, string Status,
    string? TargetSource);
