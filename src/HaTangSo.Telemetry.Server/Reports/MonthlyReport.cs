using System.Globalization;
using System.Text;
using ClosedXML.Excel;
using CsvHelper;
using HaTangSo.Telemetry.Server.Compliance;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>One line of the report: an area (a former district, a commune, ...) × access over the month.</summary>
public sealed record ReportRow(
    string AreaKind, string AreaCode, string AreaName, string Access, string Technology, string? Metric, string? Statistic,
    double? Value, double? Target, int Samples, string Status, string? TargetSource)
{
    /// <summary>The former district's code, for rows of that kind.</summary>
    public string? DistrictCode => AreaKind == "former-district" ? AreaCode : null;
}

/// <summary>A probe that was silent during the month.</summary>
public sealed record SilentProbe(string ProbeId, string CommuneCode, int Results, int Expected, DateTimeOffset? LastResult);

/// <summary>The monthly report of a province, and its CSV, XLSX and chart renderings.</summary>
public sealed record MonthlyReport(string ProvinceCode, string ProvinceName, DateOnly Month, IReadOnlyList<ReportRow> Rows, IReadOnlyList<SilentProbe> SilentProbes)
{
    /// <summary>CSV (<see cref="ReportCsv"/>: UTF-8 with BOM, formula-like cells neutralised): the table, then the silent probes.</summary>
    public byte[] ToCsv() => ReportCsv.Write(csv =>
    {
        csv.WriteRecords(Rows);
        csv.NextRecord();
        csv.WriteRecords(SilentProbes);
    });

    /// <summary>XLSX with a "Compliance" sheet (and the chart) and a "Silent probes" sheet.</summary>
    public byte[] ToXlsx(byte[] chartPng) => XlsxPicture.Add(ToXlsxWithoutChart(), "Compliance", chartPng, row: Rows.Count + 5, column: 0);

    /// <summary>The workbook before the chart is placed (text cells are always strings, never formulas).</summary>
    internal byte[] ToXlsxWithoutChart()
    {
        using var workbook = new XLWorkbook();
        var sheet = workbook.Worksheets.Add("Compliance");
        sheet.Cell(1, 1).Value = $"{ProvinceName} ({ProvinceCode}) — {Month:yyyy-MM}";
        string[] headers = ["Loại vùng (area kind)", "Mã (code)", "Tên (name)", "Access", "Technology", "Metric", "Statistic", "Value", "Target", "Samples", "Status", "Source"];
        for (var c = 0; c < headers.Length; c++)
        {
            sheet.Cell(3, c + 1).Value = headers[c];
            sheet.Cell(3, c + 1).Style.Font.Bold = true;
        }

        for (var r = 0; r < Rows.Count; r++)
        {
            var row = Rows[r];
            object?[] values = [row.AreaKind, row.AreaCode, row.AreaName, row.Access, row.Technology, row.Metric, row.Statistic, row.Value, row.Target, row.Samples, row.Status, row.TargetSource];
            for (var c = 0; c < values.Length; c++)
            {
                var cell = sheet.Cell(r + 4, c + 1);
                switch (values[c])
                {
                    case double d:
                        cell.Value = d;
                        cell.Style.NumberFormat.Format = "0.00";
                        break;
                    case int i:
                        cell.Value = i;
                        break;
                    case string s:
                        cell.Value = s;
                        break;
                }
            }
        }

        var silent = workbook.Worksheets.Add("Silent probes");
        string[] silentHeaders = ["Probe", "Commune", "Results", "Expected", "Last result (UTC)"];
        for (var c = 0; c < silentHeaders.Length; c++)
        {
            silent.Cell(1, c + 1).Value = silentHeaders[c];
            silent.Cell(1, c + 1).Style.Font.Bold = true;
        }

        for (var r = 0; r < SilentProbes.Count; r++)
        {
            var probe = SilentProbes[r];
            silent.Cell(r + 2, 1).Value = probe.ProbeId;
            silent.Cell(r + 2, 2).Value = probe.CommuneCode;
            silent.Cell(r + 2, 3).Value = probe.Results;
            silent.Cell(r + 2, 4).Value = probe.Expected;
            silent.Cell(r + 2, 5).Value = probe.LastResult?.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "never";
        }

        using var output = new MemoryStream();
        workbook.SaveAs(output);
        return output.ToArray();
    }

    /// <summary>A bar chart per former district (or, without those, per area): the value for each access type, with its target as a line.</summary>
    public byte[] ToChartPng()
    {
        var plot = new ScottPlot.Plot();
        var kind = Rows.Any(r => r.AreaKind == "former-district") ? "former-district" : Rows.Count > 0 ? Rows[0].AreaKind : null;
        var charted = Rows.Where(r => r.AreaKind == kind).ToList();
        var districts = charted.Select(r => r.AreaCode).Distinct().ToList();
        var accesses = new[] { ("fixed", ScottPlot.Colors.SteelBlue), ("mobile", ScottPlot.Colors.Orange) };
        for (var a = 0; a < accesses.Length; a++)
        {
            var (access, color) = accesses[a];
            var bars = charted.Where(r => r.Access == access && r.Value is not null && r.Metric is "download")
                .Select(r => new ScottPlot.Bar { Position = districts.IndexOf(r.AreaCode) * 3 + a, Value = r.Value!.Value, FillColor = color })
                .ToList();
            if (bars.Count > 0)
            {
                plot.Add.Bars(bars).LegendText = access;
            }

            foreach (var target in charted.Where(r => r.Access == access && r.Target is not null && r.Metric is "download").Select(r => r.Target!.Value).Distinct())
            {
                var line = plot.Add.HorizontalLine(target, color: color);
                line.LinePattern = ScottPlot.LinePattern.Dashed;
            }
        }

        plot.Axes.Bottom.SetTicks([.. districts.Select((_, i) => i * 3 + 0.5)], [.. districts]);
        plot.Title($"{ProvinceCode} {Month:yyyy-MM}: download (Mb/s) by {kind}, dashed = target");
        plot.ShowLegend();
        return plot.GetImageBytes(Math.Max(600, districts.Count * 60), 400, ScottPlot.ImageFormat.Png);
    }
}
