using System.Globalization;
using System.Text;
using System.Text.Json;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Compliance;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.OpenData;

/// <summary>One column of the open-data CSV: its name, type, and what it means (Vietnamese, English).</summary>
public sealed record OpenDataField(string Name, string Type, string Title, string Description, string DescriptionEn);

/// <summary>
/// The open data of a province and month (issue 13.8): one CSV row per result, with the commune's code and name, access,
/// operator, technology, the hour it was measured (Vietnam time, hour resolution), status and the measured values. No
/// probe id, no link name, no address, no result id, nothing that identifies a person or a device. Streamed an hour of
/// results at a time: the server never holds a month. Points are selected as the verdicts select them (the province's
/// current communes and the older codes the crosswalk leads into them) and placed in their current commune.
/// </summary>
internal sealed class OpenDataExport(InfluxDbClient influx, NpgsqlDataSource dataSource, IOptions<OpenDataOptions> options, ILogger<OpenDataExport> logger)
{
    /// <summary>The columns, in order (the data dictionary: README "Open data").</summary>
    public static IReadOnlyList<OpenDataField> Fields { get; } =
    [
        new("province_code", "string", "Mã tỉnh", "Mã tỉnh/thành phố (Tổng cục Thống kê, danh mục 2025)", "Province code (General Statistics Office, 2025 catalogue)"),
        new("commune_code", "string", "Mã xã", "Mã xã/phường/đặc khu hiện nay nơi đặt thiết bị đo", "Current commune/ward code where the probe sits"),
        new("commune_name", "string", "Tên xã", "Tên xã/phường/đặc khu", "Commune/ward name"),
        new("access", "string", "Loại truy nhập", "fixed (cố định) hoặc mobile (di động)", "fixed or mobile broadband"),
        new("operator", "string", "Nhà mạng", "Doanh nghiệp cung cấp đường truyền", "Operator selling the line"),
        new("technology", "string", "Công nghệ", "ftth, xdsl, 4g, 5g, ...", "Access technology"),
        new("hour", "datetime", "Giờ đo", "Giờ bắt đầu phép đo, làm tròn xuống đến giờ, giờ Việt Nam (UTC+7)", "Hour the test started, truncated to the hour, Vietnam time"),
        new("status", "string", "Trạng thái", "ok, partial (một phần), failed (lỗi), skipped (bỏ qua)", "Result status"),
        new("download_mbps", "number", "Tải xuống (Mb/s)", "Tốc độ tải xuống, megabit/giây", "Download throughput, megabits per second"),
        new("upload_mbps", "number", "Tải lên (Mb/s)", "Tốc độ tải lên, megabit/giây", "Upload throughput, megabits per second"),
        new("latency_ms", "number", "Độ trễ (ms)", "Thời gian trễ khứ hồi khi không tải (trung vị), mili giây", "Idle round-trip time (median), milliseconds"),
        new("jitter_ms", "number", "Biến động trễ (ms)", "Chênh lệch trung bình giữa các lần đo trễ liên tiếp", "Mean difference of consecutive round-trip times"),
        new("loss_pct", "number", "Mất gói (%)", "Tỷ lệ mất gói, phần trăm", "Packet loss, percent"),
        new("cpu_bound", "boolean", "Thiết bị thiếu CPU", "true: thiết bị đo không theo kịp đường truyền vì thiếu CPU (không dùng để đánh giá)", "true: the probe could not keep up for want of a CPU (left out of verdicts)"),
    ];

    /// <summary>The table schema (Frictionless Data Table Schema, JSON) with the licence and publisher.</summary>
    public byte[] Schema()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var settings = options.Value;
            json.WriteStartObject();
            json.WriteString("$schema", "https://specs.frictionlessdata.io/schemas/table-schema.json");
            json.WriteString("title", "Kết quả đo tốc độ băng rộng tại trụ sở UBND xã (HaTangSo.Telemetry)");
            json.WriteString("description", "Một dòng cho mỗi kết quả đo; giờ Việt Nam, độ phân giải theo giờ; không có mã thiết bị, địa chỉ IP hay thông tin định danh. "
                + "One row per result; Vietnam time at hour resolution; no probe id, IP address or anything that identifies a person.");
            json.WriteStartArray("licenses");
            json.WriteStartObject();
            json.WriteString("name", settings.Licence);
            json.WriteString("path", settings.LicenceUrl.ToString());
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString("publisher", settings.Publisher);
            json.WriteStartArray("fields");
            foreach (var field in Fields)
            {
                json.WriteStartObject();
                json.WriteString("name", field.Name);
                json.WriteString("type", field.Type);
                json.WriteString("title", field.Title);
                json.WriteString("description", field.Description);
                json.WriteString("description_en", field.DescriptionEn);
                if (field.Type == "datetime")
                {
                    json.WriteString("format", "%Y-%m-%dT%H:%M:%S+07:00");
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("missingValues");
            json.WriteStringValue(string.Empty);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>Writes the month's CSV to <paramref name="output"/> an hour at a time; returns the rows written.</summary>
    public async Task<long> WriteAsync(string provinceCode, DateOnly month, DateTimeOffset now, Stream output, CancellationToken cancellationToken)
    {
        var from = VietnamTime.StartOf(month);
        var to = VietnamTime.StartOf(month.AddMonths(1));
        to = to < now ? to : now;
        var resolver = await Areas.CommuneResolver.LoadAsync(dataSource, cancellationToken);
        var names = await CommunesAsync(provinceCode, cancellationToken);
        await using var text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), 64 * 1024, leaveOpen: true);
        await using var csv = Reports.ReportCsv.CreateWriter(text);
        foreach (var field in Fields)
        {
            csv.WriteField(field.Name);
        }

        await csv.NextRecordAsync();
        var rows = 0L;
        if (names.Count > 0)
        {
            var filter = $"commune =~ /^({string.Join('|', resolver.TagsOf(names.Keys))})$/";
            for (var hour = from; hour < to; hour += TimeSpan.FromHours(1))
            {
                rows += await WriteHourAsync(csv, filter, provinceCode, hour, resolver, names, cancellationToken);
                await csv.FlushAsync();
            }
        }

        logger.LogOpenData(provinceCode, month, rows);
        return rows;
    }

    private async Task<long> WriteHourAsync(
        CsvHelper.CsvWriter csv, string filter, string provinceCode, DateTimeOffset hour, Areas.CommuneResolver resolver, Dictionary<string, string> names,
        CancellationToken cancellationToken)
    {
        var query = $"""
            SELECT download_mbps, upload_mbps, latency_ms, jitter_ms, loss_pct, cpu_bound FROM speedtest
            WHERE {filter} AND time >= {InfluxQl.Time(hour)} AND time < {InfluxQl.Time(hour + TimeSpan.FromHours(1))}
            GROUP BY commune, probe, access, "operator", technology, status
            """;
        var label = hour.ToOffset(VietnamTime.Offset).ToString("yyyy-MM-dd'T'HH:00:00'+07:00'", CultureInfo.InvariantCulture);
        var rows = 0L;
        foreach (var statement in await influx.QueryAsync(query, cancellationToken))
        {
            foreach (var series in statement.Series ?? [])
            {
                var tags = series.Tags ?? new Dictionary<string, string>();
                string Tag(string key) => tags.TryGetValue(key, out var value) ? value : string.Empty;
                // The probe tag places an old split commune code; it is never written out.
                if (resolver.Resolve(Tag("commune"), Tag("probe")) is not { } commune || !names.TryGetValue(commune, out var name))
                {
                    continue;
                }

                var columns = series.Columns.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
                foreach (var row in series.Values ?? [])
                {
                    csv.WriteField(provinceCode);
                    csv.WriteField(commune);
                    csv.WriteField(name);
                    csv.WriteField(Tag("access"));
                    csv.WriteField(Tag("operator"));
                    csv.WriteField(Tag("technology"));
                    csv.WriteField(label);
                    csv.WriteField(Tag("status"));
                    foreach (var field in new[] { "download_mbps", "upload_mbps", "latency_ms", "jitter_ms", "loss_pct" })
                    {
                        csv.WriteField(columns.TryGetValue(field, out var i) && i < row.Count && row[i].ValueKind == JsonValueKind.Number
                            ? row[i].GetDouble().ToString("R", CultureInfo.InvariantCulture)
                            : string.Empty);
                    }

                    csv.WriteField(columns.TryGetValue("cpu_bound", out var c) && c < row.Count && row[c].ValueKind == JsonValueKind.True ? "true" : "false");
                    await csv.NextRecordAsync();
                    rows++;
                }
            }
        }

        return rows;
    }

    private async Task<Dictionary<string, string>> CommunesAsync(string provinceCode, CancellationToken cancellationToken)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = dataSource.CreateCommand("SELECT code, name FROM communes WHERE province_code = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names[reader.GetString(0)] = reader.GetString(1);
        }

        return names;
    }
}

/// <summary>Log line of the export.</summary>
internal static class OpenDataLog
{
    public static void LogOpenData(this ILogger logger, string province, DateOnly month, long rows) =>
        Jobs.VerdictsLog.OpenDataStreamed(logger, province, month.ToString("yyyy-MM", CultureInfo.InvariantCulture), rows);
}
