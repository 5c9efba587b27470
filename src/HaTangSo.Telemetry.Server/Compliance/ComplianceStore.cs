using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Areas;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>Compliance history in PostgreSQL, and the current status as <c>compliance</c> points for Grafana.</summary>
internal sealed class ComplianceStore(NpgsqlDataSource dataSource, InfluxDbClient influx)
{
    /// <summary>
    /// Stores one evaluation's rows (a second instance evaluating the same instant changes nothing) and writes them as
    /// <c>compliance</c> points. A row that cannot be stored or written (a tag line protocol cannot carry, planted in the
    /// database past the API's rules) is skipped and handed to <paramref name="failed"/>; the other rows are stored.
    /// </summary>
    /// <returns>The rows stored.</returns>
    public async Task<List<AreaCompliance>> SaveAsync(
        DateTimeOffset evaluatedAt, IReadOnlyList<AreaCompliance> rows, Func<AreaCompliance, Exception, Task> failed, CancellationToken cancellationToken)
    {
        var lines = new LineBuilder();
        var good = new List<AreaCompliance>(rows.Count);
        foreach (var row in rows)
        {
            try
            {
                AppendLine(lines, row, evaluatedAt);
                good.Add(row);
            }
            catch (ArgumentException ex)
            {
                lines.Abandon();
                await failed(row, ex);
            }
        }

        var refused = new List<AreaCompliance>();
        if (!await InsertAsync(good, evaluatedAt, cancellationToken))
        {
            // One row refused by PostgreSQL (a permanent error): store them one by one, skipping the bad ones.
            foreach (var row in good)
            {
                try
                {
                    await InsertAsync([row], evaluatedAt, cancellationToken, throwOnError: true);
                }
                catch (PostgresException ex) when (!ex.IsTransient)
                {
                    await failed(row, ex);
                    refused.Add(row);
                }
            }
        }

        if (lines.Count > 0)
        {
            await influx.WriteAsync(lines.ToString(), WritePrecision.Seconds, cancellationToken);
        }

        return refused.Count == 0 ? good : [.. good.Except(refused)];
    }

    private static void AppendLine(LineBuilder lines, AreaCompliance row, DateTimeOffset evaluatedAt)
    {
        var estimate = row.Estimate;
        lines.Measurement("compliance")
            .Tag("province", row.ProvinceCode).Tag("area_kind", row.AreaKind.ToName()).Tag("area", row.AreaCode)
            .Tag("district", row.DistrictCode).Tag("commune", row.AreaKind == AreaKind.Commune ? row.AreaCode : null).Tag("access", row.Access)
            .Tag("technology", row.Technology.Length == 0 ? "all" : row.Technology).Tag("operator", row.Operator).Tag("window", row.Window)
            .Tag("metric", row.Metric).Tag("statistic", row.Statistic).Tag("weighting", row.Weighting)
            .Field("value", Finite(estimate.Value)).Field("ci_low", Finite(estimate.Low)).Field("ci_high", Finite(estimate.High))
            .Field("threshold", row.Target?.Threshold).Field("samples", estimate.Samples).Field("links", (long)estimate.Links)
            .Field("met", row.Status == ComplianceStatus.Met ? 1L : 0L).Field("status", row.Status);
        if (row.Target is { } target)
        {
            lines.Field("target_id", (long)target.Id);
        }

        lines.Timestamp(WritePrecision.Seconds.ToTimestamp(evaluatedAt));
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    // False when PostgreSQL refused the batch for a reason that is not an outage (a bad row): the caller goes row by row.
    private async Task<bool> InsertAsync(List<AreaCompliance> rows, DateTimeOffset evaluatedAt, CancellationToken cancellationToken, bool throwOnError = false)
    {
        if (rows.Count == 0)
        {
            return true;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var row in rows)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO compliance_evaluations (evaluated_at, window_kind, window_start, window_end, province_code, district_code, access,
                    technology, target_id, metric, statistic, value, threshold, samples, status, area_kind, area_code, area_name,
                    operator, weighting, ci_low, ci_high, links)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
                ON CONFLICT (window_kind, evaluated_at, area_kind, area_code, access, technology, operator) DO NOTHING
                """);
            static NpgsqlParameter Nullable(object? value, NpgsqlTypes.NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
            command.Parameters.Add(new NpgsqlParameter { Value = evaluatedAt });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Window });
            command.Parameters.Add(new NpgsqlParameter { Value = row.WindowStart });
            command.Parameters.Add(new NpgsqlParameter { Value = row.WindowEnd });
            command.Parameters.Add(new NpgsqlParameter { Value = row.ProvinceCode });
            command.Parameters.Add(Nullable(row.DistrictCode, NpgsqlTypes.NpgsqlDbType.Text));
            command.Parameters.Add(new NpgsqlParameter { Value = row.Access });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Technology });
            command.Parameters.Add(Nullable(row.Target?.Id, NpgsqlTypes.NpgsqlDbType.Integer));
            command.Parameters.Add(Nullable(row.Metric, NpgsqlTypes.NpgsqlDbType.Text));
            command.Parameters.Add(Nullable(row.Statistic, NpgsqlTypes.NpgsqlDbType.Text));
            command.Parameters.Add(Nullable(Finite(row.Value), NpgsqlTypes.NpgsqlDbType.Double));
            command.Parameters.Add(Nullable(row.Target?.Threshold, NpgsqlTypes.NpgsqlDbType.Double));
            command.Parameters.Add(new NpgsqlParameter { Value = row.Samples });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Status });
            command.Parameters.Add(new NpgsqlParameter { Value = row.AreaKind.ToName() });
            command.Parameters.Add(new NpgsqlParameter { Value = row.AreaCode });
            command.Parameters.Add(new NpgsqlParameter { Value = row.AreaName });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Operator });
            command.Parameters.Add(new NpgsqlParameter { Value = row.Weighting });
            command.Parameters.Add(Nullable(Finite(row.Estimate.Low), NpgsqlTypes.NpgsqlDbType.Double));
            command.Parameters.Add(Nullable(Finite(row.Estimate.High), NpgsqlTypes.NpgsqlDbType.Double));
            command.Parameters.Add(new NpgsqlParameter { Value = row.Estimate.Links });
            batch.BatchCommands.Add(command);
        }

        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (PostgresException ex) when (!ex.IsTransient && !throwOnError)
        {
            return false;
        }
    }

    /// <summary>
    /// The latest evaluation of each area × access × technology × operator of a province (optionally of one kind, one
    /// area, one operator: <c>all</c> for the all-operator rows, null for every row).
    /// </summary>
    public async Task<List<ComplianceRecord>> LatestAsync(
        string windowKind, string provinceCode, AreaKind? kind, string? code, CancellationToken cancellationToken, string? op = ComplianceWindow.AllOperators)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT DISTINCT ON (e.area_kind, e.area_code, e.access, e.technology, e.operator) e.evaluated_at, e.window_start, e.window_end, e.area_kind, e.area_code,
                COALESCE(e.area_name, a.name, e.area_code), e.access, e.technology, e.metric, e.statistic, e.value, e.threshold, e.samples, e.status, t.source,
                e.operator, COALESCE(e.weighting, 'pooled'), e.ci_low, e.ci_high, e.links, e.window_kind,
                (SELECT min(s.evaluated_at) FROM compliance_evaluations s
                  WHERE s.window_kind = e.window_kind AND s.area_kind = e.area_kind AND s.area_code = e.area_code AND s.access = e.access
                    AND s.technology = e.technology AND s.operator = e.operator AND s.evaluated_at <= e.evaluated_at
                    AND s.evaluated_at > COALESCE((SELECT max(o.evaluated_at) FROM compliance_evaluations o
                        WHERE o.window_kind = e.window_kind AND o.area_kind = e.area_kind AND o.area_code = e.area_code AND o.access = e.access
                          AND o.technology = e.technology AND o.operator = e.operator AND o.status <> e.status AND o.evaluated_at < e.evaluated_at), '-infinity'))
            FROM compliance_evaluations e LEFT JOIN areas a ON a.kind = e.area_kind AND a.code = e.area_code LEFT JOIN targets t ON t.id = e.target_id
            WHERE e.window_kind = $1 AND e.province_code = $2 AND ($3::text IS NULL OR e.area_kind = $3) AND ($4::text IS NULL OR e.area_code = $4)
              AND ($5::text IS NULL OR e.operator = $5)
            ORDER BY e.area_kind, e.area_code, e.access, e.technology, e.operator, e.evaluated_at DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = windowKind });
        command.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)kind?.ToName() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)code ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)op ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var records = new List<ComplianceRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            double? D(int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
            string? S(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            records.Add(new ComplianceRecord(
                reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetString(7),
                S(8), S(9), D(10), D(11), reader.GetInt32(12), reader.GetString(13), S(14))
            {
                Operator = reader.GetString(15),
                Weighting = reader.GetString(16),
                CiLow = D(17),
                CiHigh = D(18),
                Links = reader.IsDBNull(19) ? null : reader.GetInt32(19),
                Window = reader.GetString(20),
                StatusSince = reader.IsDBNull(21) ? null : reader.GetFieldValue<DateTimeOffset>(21),
            });
        }

        return records;
    }
}

/// <summary>A stored evaluation, as the API shows it (machine fields invariant; the labels are in <see cref="Labels"/>).</summary>
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
/// <param name="Status"><c>met</c>, <c>below</c>, <c>inconclusive</c>, <c>insufficient_data</c> or <c>no_target</c>.</param>
/// <param name="TargetSource">The plan the target comes from.</param>
public sealed record ComplianceRecord(
    DateTimeOffset EvaluatedAt, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, string AreaKind, string AreaCode, string AreaName,
    string Access, string Technology, string? Metric, string? Statistic, double? Value, double? Threshold, int Samples, string Status,
    string? TargetSource)
{
    /// <summary><c>all</c>, or the operator of this row.</summary>
    public string Operator { get; init; } = "all";

    /// <summary><c>link</c> or <c>pooled</c>.</summary>
    public string Weighting { get; init; } = "link";

    /// <summary>Lower end of the 95 % interval.</summary>
    public double? CiLow { get; init; }

    /// <summary>Upper end of the 95 % interval.</summary>
    public double? CiHigh { get; init; }

    /// <summary>Probe links counted.</summary>
    public int? Links { get; init; }

    /// <summary><c>rolling</c>, <c>month</c> or <c>busy</c>.</summary>
    public string Window { get; init; } = "rolling";

    /// <summary>The first evaluation since which the status has been what it is now.</summary>
    public DateTimeOffset? StatusSince { get; init; }

    /// <summary>Human-readable texts (Vietnamese unless the API was asked for <c>lang=en</c>).</summary>
    public ComplianceLabels? Labels { get; init; }

    /// <summary>The former district's code for rows of that kind (as before the reform), else null.</summary>
    public string? DistrictCode => AreaKind == "former-district" ? AreaCode : null;

    /// <summary>The former district's name for rows of that kind, else null.</summary>
    public string? DistrictName => AreaKind == "former-district" ? AreaName : null;
}

/// <summary>A verdict's human-readable texts, in one language.</summary>
/// <param name="Status">The status (<c>Đạt</c>, <c>Không đạt</c>, ...).</param>
/// <param name="Access">The access type.</param>
/// <param name="Statistic">The statistic and weighting (<c>trung bình theo đường truyền</c>).</param>
/// <param name="Value">The value with its unit and interval, numbers in the language's format.</param>
/// <param name="Target">The target, or that there is none.</param>
/// <param name="Since">Since when the status holds, Vietnam time.</param>
public sealed record ComplianceLabels(string Status, string Access, string Statistic, string Value, string Target, string? Since);
