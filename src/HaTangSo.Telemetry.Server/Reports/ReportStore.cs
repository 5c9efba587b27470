using Npgsql;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>A stored report, without its files.</summary>
public sealed record ReportInfo(string ProvinceCode, string Month, DateTimeOffset CreatedAt, int CsvBytes, int XlsxBytes, int ChartBytes);

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
    public async Task SaveAsync(string provinceCode, DateOnly month, DateTimeOffset createdAt, byte[] csv, byte[] xlsx, byte[] chartPng, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO reports (province_code, month, created_at, csv, xlsx, chart_png) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (province_code, month) DO UPDATE SET created_at = excluded.created_at, csv = excluded.csv, xlsx = excluded.xlsx,
                chart_png = excluded.chart_png
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
        command.Parameters.Add(new NpgsqlParameter { Value = month });
        command.Parameters.Add(new NpgsqlParameter { Value = createdAt });
        command.Parameters.Add(new NpgsqlParameter { Value = csv });
        command.Parameters.Add(new NpgsqlParameter { Value = xlsx });
        command.Parameters.Add(new NpgsqlParameter { Value = chartPng });
        await command.ExecuteNonQueryAsync(cancellationToken);
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
