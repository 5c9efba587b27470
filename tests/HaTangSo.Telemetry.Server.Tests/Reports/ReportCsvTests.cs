using System.Globalization;
using System.Text;
using ClosedXML.Excel;
using CsvHelper;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using HaTangSo.Telemetry.Server.Reports;

namespace HaTangSo.Telemetry.Server.Tests.Reports;

/// <summary>OWASP's CSV-injection rule in the monthly report: formula-like cells are text in CSV and in XLSX.</summary>
public sealed class ReportCsvTests
{
    public static TheoryData<string> FormulaLike => new()
    {
        "=HYPERLINK(\"http://x\",\"ok\")",
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
    };

    [Theory]
    [MemberData(nameof(FormulaLike))]
    public void ToCsv_CellStartingLikeAFormula_IsPrefixedWithAQuote(string source)
    {
        var csv = Report(source).ToCsv();

        var cells = ReadCells(csv);
        Assert.Contains("'" + source, cells);
        Assert.DoesNotContain(cells, c => c.Length > 0 && ReportCsv.FormulaStarts.Contains(c[0]));
    }

    [Fact]
    public void ToCsv_OrdinaryText_IsUnchanged()
    {
        var source = "568/KH-UBND Hà Tĩnh, 13/12/2023: 71 Mb/s mobile by 2025 (i-Speed)";

        var cells = ReadCells(Report(source).ToCsv());

        Assert.Contains(source, cells);
        Assert.Contains("Huyện Thạch Hà", cells);
    }

    [Fact]
    public void ToCsv_StartsWithAByteOrderMark() => Assert.Equal(Encoding.UTF8.GetPreamble(), Report("plan").ToCsv()[..3]);

    [Theory]
    [MemberData(nameof(FormulaLike))]
    public void ToXlsx_CellStartingLikeAFormula_IsAStringNotAFormula(string source)
    {
        var report = Report(source);

        // ClosedXML cannot open a workbook with a picture without libgdiplus: read the cells before the chart is
        // placed, then check that the shipped file holds no formula at all.
        using (var workbook = new XLWorkbook(new MemoryStream(report.ToXlsxWithoutChart())))
        {
            // Two header rows (Vietnamese, English) from row 3; the target's source is the last of 21 columns.
            var cell = workbook.Worksheet(MonthlyReport.ComplianceSheet).Cell(5, 21);
            Assert.False(cell.HasFormula, $"cell U5 holds the formula {cell.FormulaA1}");
            Assert.Equal(XLDataType.Text, cell.DataType);
            Assert.Equal(source.Replace('\r', '\n'), cell.GetString()); // XML reads a carriage return as a line feed
        }

        using var document = SpreadsheetDocument.Open(new MemoryStream(report.ToXlsx(Png())), isEditable: false);
        foreach (var sheet in document.WorkbookPart!.WorksheetParts)
        {
            Assert.Empty(sheet.Worksheet.Descendants<CellFormula>());
        }
    }

    private static MonthlyReport Report(string source) => new(
        "42", "Tỉnh Hà Tĩnh", new DateOnly(2026, 2, 1),
        [new ReportRow("former-district", "445", "Huyện Thạch Hà", "mobile", "4g", "download", "mean", 80.5, 71, 250, "met", source)],
        [new SilentProbe("ht-probe-01", "18409", 3, 2688, null)]);

    private static List<string> ReadCells(byte[] csv)
    {
        using var reader = new CsvReader(new StreamReader(new MemoryStream(csv), Encoding.UTF8), CultureInfo.InvariantCulture);
        var cells = new List<string>();
        while (reader.Read())
        {
            for (var i = 0; reader.TryGetField<string>(i, out var field); i++)
            {
                cells.Add(field!);
            }
        }

        return cells;
    }

    // A 1×1 PNG: the chart's bytes do not matter here.
    private static byte[] Png() => Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
}
