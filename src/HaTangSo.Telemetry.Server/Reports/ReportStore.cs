using Npgsql;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>A stored report, without its files.</summary>
public sealed record ReportInfo(string ProvinceCode, string Month, DateTimeOffset CreatedAt, int CsvBytes, int XlsxBytes, int ChartBytes);

/// <summary>Source-generated JSON for the stored report models.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[System.Text.Json.Serialization.JsonSerializable(typeof(MonthlyReport))]
[System.Text.Json.Serialization.JsonSerializable(typeof(YearlyReport))]
internal sealed partial class ReportJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>Monthly reports in PostgreSQL: one per province and month, replaced when generated again.</summary>
internal sealed class ReportStore(NpgsqlDataSource dataSource)
{
    /// <summary>The file kinds a report is stored as, with their column and media type.</summary>
    public static readonly IReadOnlyDictionary<string, (string Column, string ContentType)> Files = new Dictionary<string, (string, string)>
    {
        ["csv"] = ("csv", "text/csv; charset=utf-8"),
        ["xlsx"] = ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ["png"] = ("chart_png", "image/png"),
    };

    /// <summary>Stores (or replaces) the report of a province and month.</summary>
    public async Task SaveAsync(
        string provinceCode, DateOnly month, DateTimeOffset createdAt, byte[] csv, byte[] xlsx, byte[] chartPng, MonthlyReport model, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO reports (province_code, month, created_at, csv, xlsx, chart_png, model) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (province_code, month) DO UPDATE SET created_at = excluded.created_at, csv = excluded.csv, xlsx = excluded.xlsx,
                chart_png = excluded.chart_png, model = excluded.model
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
        command.Parameters.Add(new NpgsqlParameter { Value = month });
        command.Parameters.Add(new NpgsqlParameter { Value = createdAt });
        command.Parameters.Add(new NpgsqlParameter { Value = csv });
        command.Parameters.Add(new NpgsqlParameter { Value = xlsx });
        command.Parameters.Add(new NpgsqlParameter { Value = chartPng });
        command.Parameters.Add(new NpgsqlParameter { Value = System.Text.Json.JsonSerializer.Serialize(model, ReportJsonContext.Default.MonthlyReport), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The stored model of a monthly report (reports built before the model was kept have none).</summary>
    public async Task<MonthlyReport?> GetModelAsync(string provinceCode, DateOnly month, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT model::text FROM reports WHERE province_code = $1 AND month = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
        command.Parameters.Add(new NpgsqlParameter { Value = month });
        return await command.ExecuteScalarAsync(cancellationToken) is string json
            ? System.Text.Json.JsonSerializer.Deserialize(json, ReportJsonContext.Default.MonthlyReport)
            : null;
    }

    /// <summary>Stores (or replaces) the yearly report of a province.</summary>
    public async Task SaveYearlyAsync(YearlyReport report, DateTimeOffset createdAt, byte[] xlsx, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO yearly_reports (province_code, year, created_at, model, xlsx) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (province_code, year) DO UPDATE SET created_at = excluded.created_at, model = excluded.model, xlsx = excluded.xlsx
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = report.ProvinceCode });
        command.Parameters.Add(new NpgsqlParameter { Value = report.Year });
        command.Parameters.Add(new NpgsqlParameter { Value = createdAt });
        command.Parameters.Add(new NpgsqlParameter { Value = System.Text.Json.JsonSerializer.Serialize(report, ReportJsonContext.Default.YearlyReport), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter { Value = xlsx });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A stored yearly report (model and workbook), or null.</summary>
    public async Task<(YearlyReport Report, byte[] Xlsx)?> GetYearlyAsync(string provinceCode, int year, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT model::text, xlsx FROM yearly_reports WHERE province_code = $1 AND year = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
        command.Parameters.Add(new NpgsqlParameter { Value = year });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var report = System.Text.Json.JsonSerializer.Deserialize(reader.GetString(0), ReportJsonContext.Default.YearlyReport)!;
        return (report, reader.GetFieldValue<byte[]>(1));
    }

    /// <summary>The stored reports, newest month first.</summary>
    public async Task<List<ReportInfo>> ListAsync(string? provinceCode, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT province_code, month, created_at, length(csv), length(xlsx), length(chart_png) FROM reports
            WHERE $1::text IS NULL OR province_code = $1 ORDER BY month DESC, province_code
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)provinceCode ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var reports = new List<ReportInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            reports.Add(new ReportInfo(reader.GetString(0), reader.GetFieldValue<DateOnly>(1).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture),
                reader.GetFieldValue<DateTimeOffset>(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5)));
        }

        return reports;
    }

    /// <summary>One file of a stored report (<c>csv</c>, <c>xlsx</c> or <c>png</c>), or null.</summary>
    public async Task<byte[]?> GetFileAsync(string provinceCode, DateOnly month, string kind, CancellationToken cancellationToken)
    {
        var column = Files[kind].Column;
        await using var command = dataSource.CreateCommand($"SELECT {column} FROM reports WHERE province_code = $1 AND month = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
        command.Parameters.Add(new NpgsqlParameter { Value = month });
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }
}
