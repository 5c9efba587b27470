using System.Globalization;
using ClosedXML.Excel;
using HaTangSo.Telemetry.Server.Compliance;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>
/// One line of a report: an area (a former district, a commune, ...) × access × operator (<c>all</c> first) over the
/// period, with the value's 95 % interval and the busy hours' value beside the whole day's.
/// </summary>
public sealed record ReportRow(
    string AreaKind, string AreaCode, string AreaName, string Access, string Technology, string? Metric, string? Statistic,
    double? Value, double? Target, int Samples, string Status, string? TargetSource)
{
    /// <summary><c>all</c>, or the operator of this row.</summary>
    public string Operator { get; init; } = ComplianceWindow.AllOperators;

    /// <summary><c>link</c> or <c>pooled</c>.</summary>
    public string? Weighting { get; init; }

    /// <summary>Lower end of the value's 95 % interval.</summary>
    public double? CiLow { get; init; }

    /// <summary>Upper end of the value's 95 % interval.</summary>
    public double? CiHigh { get; init; }

    /// <summary>Probe links counted.</summary>
    public int Links { get; init; }

    /// <summary>The value over the busy hours (19:00–23:00 by default) of the period.</summary>
    public double? BusyValue { get; init; }

    /// <summary>Lower end of the busy-hour value's 95 % interval.</summary>
    public double? BusyCiLow { get; init; }

    /// <summary>Upper end of the busy-hour value's 95 % interval.</summary>
    public double? BusyCiHigh { get; init; }

    /// <summary>The busy hours' status against the same target.</summary>
    public string? BusyStatus { get; init; }

    /// <summary>Samples in the busy hours.</summary>
    public int BusySamples { get; init; }

    /// <summary>The former district's code, for rows of that kind.</summary>
    public string? DistrictCode => AreaKind == "former-district" ? AreaCode : null;
}

/// <summary>A probe that was silent during the month (last data: the hour or day of its last result).</summary>
public sealed record SilentProbe(string ProbeId, string CommuneCode, int Results, int Expected, DateTimeOffset? LastResult);

/// <summary>The monthly report of a province, and its CSV, XLSX and chart renderings (Vietnamese first).</summary>
public sealed record MonthlyReport(string ProvinceCode, string ProvinceName, DateOnly Month, IReadOnlyList<ReportRow> Rows, IReadOnlyList<SilentProbe> SilentProbes)
{
    /// <summary>The compliance sheet's name.</summary>
    public const string ComplianceSheet = "Tuân thủ chỉ tiêu";
    /// <summary>The operator ranking sheet's name.</summary>
    public const string RankingSheet = "Xếp hạng nhà mạng";
    /// <summary>The QCVN 34 sheet's name.</summary>
    public const string Qcvn34Sheet = "QCVN 34";
    /// <summary>The silent probes sheet's name.</summary>
    public const string SilentSheet = "Thiết bị thiếu kết quả";

    /// <summary>QCVN 34 per fixed link over the month.</summary>
    public IReadOnlyList<Qcvn34Result> Qcvn34Links { get; init; } = [];

    /// <summary>The share of links meeting QCVN 34 per area and operator.</summary>
    public IReadOnlyList<Qcvn34AreaShare> Qcvn34Shares { get; init; } = [];

    /// <summary>CSV (<see cref="ReportCsv"/>: UTF-8 with BOM, formula-like cells neutralised): the table, the ranking, QCVN 34, the silent probes.</summary>
    public byte[] ToCsv(Lang lang = Lang.Vi) => ReportCsv.Write(csv =>
    {
        ReportTable.WriteCsv(csv, ReportColumns.Rows, Rows, lang);
        csv.NextRecord();
        ReportTable.WriteCsv(csv, ReportColumns.Ranking, ReportColumns.Rank(Rows), lang);
        csv.NextRecord();
        ReportTable.WriteCsv(csv, ReportColumns.Qcvn34Shares, Qcvn34Shares, lang);
        csv.NextRecord();
        ReportTable.WriteCsv(csv, ReportColumns.Silent, SilentProbes, lang);
    });

    /// <summary>XLSX: compliance (and the chart), operator ranking, QCVN 34 and silent probes sheets.</summary>
    public byte[] ToXlsx(byte[] chartPng) => XlsxPicture.Add(ToXlsxWithoutChart(), ComplianceSheet, chartPng, row: Rows.Count + 6, column: 0);

    /// <summary>The workbook before the chart is placed (text cells are always strings, never formulas).</summary>
    internal byte[] ToXlsxWithoutChart()
    {
        using var workbook = new XLWorkbook();
        var title = $"{ProvinceName} ({ProvinceCode}) — tháng {Month.ToString("MM/yyyy", CultureInfo.InvariantCulture)} (month {Month:yyyy-MM})";
        var sheet = workbook.Worksheets.Add(ComplianceSheet);
        sheet.Cell(1, 1).Value = title;
        ReportTable.WriteSheet(sheet, 3, ReportColumns.Rows, Rows);
        var ranking = workbook.Worksheets.Add(RankingSheet);
        ranking.Cell(1, 1).Value = title;
        ReportTable.WriteSheet(ranking, 3, ReportColumns.Ranking, ReportColumns.Rank(Rows));
        var qcvn = workbook.Worksheets.Add(Qcvn34Sheet);
        qcvn.Cell(1, 1).Value = title;
        var next = ReportTable.WriteSheet(qcvn, 3, ReportColumns.Qcvn34Shares, Qcvn34Shares);
        ReportTable.WriteSheet(qcvn, next + 1, ReportColumns.Qcvn34Links, Qcvn34Links);
        var silent = workbook.Worksheets.Add(SilentSheet);
        ReportTable.WriteSheet(silent, 1, ReportColumns.Silent, SilentProbes);
        using var output = new MemoryStream();
        workbook.SaveAs(output);
        return output.ToArray();
    }

    /// <summary>
    /// A bar chart per former district (or, without those, per area) of the all-operator rows: the value for each access
    /// type, the busy hours' value beside it, the target as a dashed line; Vietnamese labels.
    /// </summary>
    public byte[] ToChartPng() => ReportCharts.Bars(
        $"{ProvinceName} — tháng {Month.ToString("MM/yyyy", CultureInfo.InvariantCulture)}: tốc độ tải xuống (Mb/s), cả ngày và giờ cao điểm; nét đứt = chỉ tiêu",
        Rows);
}
