using System.Globalization;
using ClosedXML.Excel;
using HaTangSo.Telemetry.Server.Compliance;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>
/// One line of the yearly report: an area × access × operator over the year with its 95 % interval, the busy hours'
/// value, samples and probe links, the previous year's value and the trend, the target and its status in each month.
/// </summary>
public sealed record YearlyRow(
    string AreaKind, string AreaCode, string AreaName, string Access, string Technology, string Operator, string? Metric, string? Statistic, string? Weighting,
    double? Value, double? CiLow, double? CiHigh, double? BusyValue, int Samples, int Links, double? PreviousValue, double? Target, string Status,
    string? TargetSource, IReadOnlyList<string?> MonthStatuses, IReadOnlyList<double?> MonthValues, double? Qcvn34SharePct)
{
    /// <summary>Change against the previous year, percent; null without both values.</summary>
    public double? TrendPct => Value is { } v && PreviousValue is { } p && p != 0 ? 100 * (v - p) / p : null;
}

/// <summary>
/// The yearly statistical report of a province ("hàng năm … công bố kết quả thống kê", 568/KH-UBND): built on 1 January
/// for the year before and on demand. Rendered as an XLSX workbook (summary sheet with charts, details, operator ranking,
/// QCVN 34) and as a print-ready A4 page in Vietnamese (<see cref="YearlyReportPage"/>).
/// </summary>
public sealed record YearlyReport(
    string ProvinceCode, string ProvinceName, int Year, DateTimeOffset GeneratedAt, DateTimeOffset PeriodEnd, IReadOnlyList<YearlyRow> Rows,
    IReadOnlyList<Qcvn34AreaShare> Qcvn34Shares)
{
    /// <summary>The summary sheet (with the charts).</summary>
    public const string SummarySheet = "Tóm tắt";
    /// <summary>The rows with their 12 monthly cells.</summary>
    public const string DetailSheet = "Chi tiết";
    /// <summary>The operator ranking.</summary>
    public const string RankingSheet = "Xếp hạng nhà mạng";
    /// <summary>The QCVN 34 shares.</summary>
    public const string Qcvn34Sheet = "QCVN 34";

    internal static IReadOnlyList<ReportColumn<YearlyRow>> Columns { get; } =
    [
        new("Loại vùng", "Area kind", (r, _) => r.AreaKind),
        new("Mã vùng", "Area code", (r, _) => r.AreaCode),
        new("Tên vùng", "Area name", (r, _) => r.AreaName),
        new("Loại truy nhập", "Access", (r, l) => VerdictTexts.Access(r.Access, l)),
        new("Công nghệ", "Technology", (r, _) => r.Technology),
        new("Nhà mạng", "Operator", (r, l) => VerdictTexts.Operator(r.Operator, l)),
        new("Thống kê", "Statistic", (r, l) => VerdictTexts.Metric(r.Metric, l) + ", " + VerdictTexts.Statistic(r.Statistic, r.Weighting, l)),
        new("Giá trị năm", "Yearly value", (r, _) => r.Value),
        new("Cận dưới 95 %", "95 % CI low", (r, _) => r.CiLow),
        new("Cận trên 95 %", "95 % CI high", (r, _) => r.CiHigh),
        new("Giờ cao điểm", "Busy hours", (r, _) => r.BusyValue),
        new("Số mẫu", "Samples", (r, _) => r.Samples),
        new("Số đường truyền", "Probe links", (r, _) => r.Links),
        new("Năm trước", "Previous year", (r, _) => r.PreviousValue),
        new("Thay đổi (%)", "Trend (%)", (r, _) => r.TrendPct),
        new("Chỉ tiêu", "Target", (r, _) => r.Target),
        new("Đánh giá năm", "Yearly verdict", (r, l) => VerdictTexts.Status(r.Status, l)),
        .. Enumerable.Range(1, 12).Select(m => new ReportColumn<YearlyRow>($"T{m}", $"M{m}", (r, l) => r.MonthStatuses[m - 1] is { } s ? VerdictTexts.Status(s, l) : null)),
        new("Đạt QCVN 34 (% đường truyền)", "Meeting QCVN 34 (% of links)", (r, _) => r.Qcvn34SharePct),
        new("Nguồn chỉ tiêu", "Target source", (r, _) => r.TargetSource),
    ];

    /// <summary>The rows as report rows (for the operator ranking and the bar chart).</summary>
    internal IReadOnlyList<ReportRow> AsReportRows() =>
        [.. Rows.Select(r => new ReportRow(r.AreaKind, r.AreaCode, r.AreaName, r.Access, r.Technology, r.Metric, r.Statistic, r.Value, r.Target, r.Samples,
            r.Status, r.TargetSource) { Operator = r.Operator, Weighting = r.Weighting, CiLow = r.CiLow, CiHigh = r.CiHigh, Links = r.Links, BusyValue = r.BusyValue })];

    /// <summary>The bar chart of the former districts (whole day and busy hours per access, targets dashed).</summary>
    public byte[] BarChartPng() => ReportCharts.Bars(
        $"{ProvinceName} — năm {Year}: tốc độ tải xuống (Mb/s), cả ngày và giờ cao điểm; nét đứt = chỉ tiêu", AsReportRows());

    /// <summary>The province's months: the all-operator value of the province-wide rows (or the mean of the former districts').</summary>
    public byte[] MonthChartPng()
    {
        var series = new List<(string, double?[], double?)>();
        foreach (var access in new[] { "fixed", "mobile" })
        {
            var rows = Rows.Where(r => r.Access == access && r.Operator == ComplianceWindow.AllOperators && r.Metric == "download").ToList();
            var province = rows.Where(r => r.AreaKind == "province").ToList();
            var used = province.Count > 0 ? province : rows.Where(r => r.AreaKind == "former-district").ToList();
            var values = Enumerable.Range(0, 12).Select(m => used.Select(r => r.MonthValues[m]).OfType<double>().DefaultIfEmpty(double.NaN).Average())
                .Select(v => double.IsNaN(v) ? (double?)null : v).ToArray();
            series.Add((access, values, used.Select(r => r.Target).FirstOrDefault(t => t is not null)));
        }

        return ReportCharts.Months($"{ProvinceName} — năm {Year}: tốc độ tải xuống theo tháng (Mb/s)", series);
    }

    /// <summary>The workbook: summary (with the charts), details with the 12 monthly cells, operator ranking, QCVN 34.</summary>
    public byte[] ToXlsx()
    {
        var bars = BarChartPng();
        var months = MonthChartPng();
        var xlsx = ToXlsxWithoutCharts(out var chartRow);
        xlsx = XlsxPicture.Add(xlsx, SummarySheet, bars, row: chartRow, column: 0);
        return XlsxPicture.Add(xlsx, SummarySheet, months, row: chartRow + 30, column: 0);
    }

    internal byte[] ToXlsxWithoutCharts(out int chartRow)
    {
        using var workbook = new XLWorkbook();
        var summary = workbook.Worksheets.Add(SummarySheet);
        summary.Cell(1, 1).Value = $"Báo cáo thống kê chất lượng băng rộng năm {Year} — {ProvinceName} ({ProvinceCode})";
        summary.Cell(1, 1).Style.Font.Bold = true;
        summary.Cell(2, 1).Value = $"Yearly broadband statistics {Year} — data to {VerdictTexts.Time(PeriodEnd)} (Vietnam time); generated {VerdictTexts.Time(GeneratedAt)}";
        var r = 4;
        foreach (var line in SummaryLines(Lang.Vi).Zip(SummaryLines(Lang.En)))
        {
            summary.Cell(r, 1).Value = line.First;
            summary.Cell(r, 2).Value = line.Second;
            r++;
        }

        chartRow = r + 1;
        ReportTable.WriteSheet(workbook.Worksheets.Add(DetailSheet), 1, Columns, Rows);
        ReportTable.WriteSheet(workbook.Worksheets.Add(RankingSheet), 1, ReportColumns.Ranking, ReportColumns.Rank(AsReportRows()));
        ReportTable.WriteSheet(workbook.Worksheets.Add(Qcvn34Sheet), 1, ReportColumns.Qcvn34Shares, Qcvn34Shares);
        using var output = new MemoryStream();
        workbook.SaveAs(output);
        return output.ToArray();
    }

    /// <summary>The summary's lines: per kind of area and access, how many areas met, fell below, could not be judged.</summary>
    public IEnumerable<string> SummaryLines(Lang lang)
    {
        foreach (var group in Rows.Where(r => r.Operator == ComplianceWindow.AllOperators).GroupBy(r => (r.AreaKind, r.Access)).OrderBy(g => g.Key.AreaKind, StringComparer.Ordinal))
        {
            int Count(string status) => group.Count(r => r.Status == status);
            var kind = VerdictTexts.AreaKind(group.Key.AreaKind, lang);
            var access = VerdictTexts.Access(group.Key.Access, lang);
            yield return lang == Lang.Vi
                ? $"{kind}, băng rộng {access}: {group.Count()} vùng — đạt {Count(ComplianceStatus.Met)}, không đạt {Count(ComplianceStatus.Below)}, chưa kết luận {Count(ComplianceStatus.Inconclusive)}, chưa đủ mẫu {Count(ComplianceStatus.InsufficientData)}, chưa có chỉ tiêu {Count(ComplianceStatus.NoTarget)}"
                : $"{kind}, {access} broadband: {group.Count()} areas — met {Count(ComplianceStatus.Met)}, below {Count(ComplianceStatus.Below)}, inconclusive {Count(ComplianceStatus.Inconclusive)}, insufficient data {Count(ComplianceStatus.InsufficientData)}, no target {Count(ComplianceStatus.NoTarget)}";
        }
    }

    /// <summary>The year's period label, e.g. <c>01/01/2026 – 31/12/2026</c>.</summary>
    public string PeriodLabel => $"01/01/{Year.ToString(CultureInfo.InvariantCulture)} – {VerdictTexts.Day(PeriodEnd - TimeSpan.FromTicks(1))}";
}
