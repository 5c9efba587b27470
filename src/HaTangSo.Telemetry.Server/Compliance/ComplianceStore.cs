using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Areas;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>Compliance history in PostgreSQL, and the current status as <c>compliance</c> points for Grafana.</summary>
internal sealed class ComplianceStore(NpgsqlDataSource dataSource, InfluxDbClient influx)
{
    /// <summary>Stores one evaluation's rows; a second instance evaluating the same instant changes nothing.</summary>
    public async Task SaveAsync(string windowKind, DateTimeOffset evaluatedAt, IReadOnlyList<AreaCompliance> rows, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var row in rows)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO compliance_evaluations (evaluated_at, window_kind, window_start, window_end, province_code, district_code, access,
                    technology, target_id, metric, statistic, value, threshold, samples, status, area_kind, area_code, area_name)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
                ON CONFLICT (window_kind, evaluated_at, area_kind, area_code, access, technology) DO NOTHING
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = evaluatedAt });
            command.Parameters.Add(new NpgsqlParameter { Value = windowKind });
            command.Parameters.Add(new NpgsqlParameter { Value = row.WindowStart });
            command.Parameters.Add(new NpgsqlParameter { Value = row.WindowEnd });
            command.Parameters.Add(new NpgsqlParameter { Value = row.ProvinceCode });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.DistrictCode ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Access });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Technology });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.Target?.Id ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.Target?.Metric ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.Target?.Statistic ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.Value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.Target?.Threshold ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Samples });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Status });
            command.Parameters.Add(new NpgsqlParameter { Value = row.AreaKind.ToName() });
            command.Parameters.Add(new NpgsqlParameter { Value = row.AreaCode });
            command.Parameters.Add(new NpgsqlParameter { Value = row.AreaName });
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
                .Tag("province", row.ProvinceCode).Tag("area_kind", row.AreaKind.ToName()).Tag("area", row.AreaCode)
                .Tag("district", row.DistrictCode).Tag("commune", row.AreaKind == AreaKind.Commune ? row.AreaCode : null).Tag("access", row.Access)
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

    /// <summary>The latest evaluation of each area × access × technology of a province (optionally of one kind, or one area).</summary>
    public async Task<List<ComplianceRecord>> LatestAsync(
        string windowKind, string provinceCode, AreaKind? kind, string? code, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT DISTINCT ON (e.area_kind, e.area_code, e.access, e.technology) e.evaluated_at, e.window_start, e.window_end, e.area_kind, e.area_code,
                COALESCE(e.area_name, a.name, e.area_code), e.access, e.technology, e.metric, e.statistic, e.value, e.threshold, e.samples, e.status, t.source
            FROM compliance_evaluations e LEFT JOIN areas a ON a.kind = e.area_kind AND a.code = e.area_code LEFT JOIN targets t ON t.id = e.target_id
            WHERE e.window_kind = $1 AND e.province_code = $2 AND ($3::text IS NULL OR e.area_kind = $3) AND ($4::text IS NULL OR e.area_code = $4)
            ORDER BY e.area_kind, e.area_code, e.access, e.technology, e.evaluated_at DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = windowKind });
        command.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)kind?.ToName() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)code ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var records = new List<ComplianceRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new ComplianceRecord(
                reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetDouble(10), reader.IsDBNull(11) ? null : reader.GetDouble(11),
                reader.GetInt32(12), reader.GetString(13), reader.IsDBNull(14) ? null : reader.GetString(14)));
        }

        return records;
    }
}

/// <summary>A stored evaluation, as the API shows it.</summary>
/// <param name="EvaluatedAt">The evaluation hour.</param>
/// <param name="WindowStart">Start of the window (or of the target, when it came into force inside it).</param>
/// <param name="WindowEnd">End of the window.</param>
/// <param name="AreaKind">The area's kind.</param>
/// <param name="AreaCode">The area's code.</param>
/// <param name="AreaName">Its Vietnamese name.</param>
/// <param name="Access"><c>fixed</c> or <c>mobile</c>.</param>
/// <param name="Technology">The target's technology, or empty.</param>
/// <param name="Metric">The target's metric.</param>
/// <param name="Statistic">The target's statistic.</param>
/// <param name="Value">The value over the window.</param>
/// <param name="Threshold">The target's threshold.</param>
/// <param name="Samples">Samples counted.</param>
/// <param name="Status"><c>met</c>, <c>below</c>, <c>insufficient_data</c> or <c>no_target</c>.</param>
/// <param name="TargetSource">The plan the target comes from.</param>
public sealed record ComplianceRecord(
    DateTimeOffset EvaluatedAt, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, string AreaKind, string AreaCode, string AreaName,
    string Access, string Technology, string? Metric, string? Statistic, double? Value, double? Threshold, int Samples, string Status,
    string? TargetSource)
{
    /// <summary>The former district's code for rows of that kind (as before the reform), else null.</summary>
    public string? DistrictCode => AreaKind == "former-district" ? AreaCode : null;

    /// <summary>The former district's name for rows of that kind, else null.</summary>
    public string? DistrictName => AreaKind == "former-district" ? AreaName : null;
}
