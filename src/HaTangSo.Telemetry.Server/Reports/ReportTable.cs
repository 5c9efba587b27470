using ClosedXML.Excel;
using CsvHelper;
using HaTangSo.Telemetry.Server.Compliance;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>A report column: its Vietnamese and English header and how a row fills it (in a language).</summary>
internal sealed record ReportColumn<T>(string Vi, string En, Func<T, Lang, object?> Value, string NumberFormat = "#,##0.0");

/// <summary>
/// Writes report tables the same way into CSV and XLSX. CSV: one header row in the chosen language, machine values
/// invariant (numbers with a decimal point, codes as codes) beside the human-readable columns. XLSX: the Vietnamese
/// header row and the English one under it, numbers as numbers (the spreadsheet shows them in the reader's format),
/// text always as text (never a formula).
/// </summary>
internal static class ReportTable
{
    public static void WriteCsv<T>(CsvWriter csv, IReadOnlyList<ReportColumn<T>> columns, IEnumerable<T> rows, Lang lang)
    {
        foreach (var column in columns)
        {
            csv.WriteField(lang == Lang.Vi ? column.Vi : column.En);
        }

        csv.NextRecord();
        foreach (var row in rows)
        {
            foreach (var column in columns)
            {
                csv.WriteField(column.Value(row, lang) switch
                {
                    double d when !double.IsFinite(d) => string.Empty,
                    double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                    null => string.Empty,
                    var other => Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture),
                });
            }

            csv.NextRecord();
        }
    }

    /// <summary>Writes the table from <paramref name="firstRow"/> (two header rows); returns the next free row.</summary>
    public static int WriteSheet<T>(IXLWorksheet sheet, int firstRow, IReadOnlyList<ReportColumn<T>> columns, IEnumerable<T> rows)
    {
        for (var c = 0; c < columns.Count; c++)
        {
            sheet.Cell(firstRow, c + 1).Value = columns[c].Vi;
            sheet.Cell(firstRow, c + 1).Style.Font.Bold = true;
            sheet.Cell(firstRow + 1, c + 1).Value = columns[c].En;
            sheet.Cell(firstRow + 1, c + 1).Style.Font.Italic = true;
        }

        var r = firstRow + 2;
        foreach (var row in rows)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                var cell = sheet.Cell(r, c + 1);
                switch (columns[c].Value(row, Lang.Vi))
                {
                    case double d when double.IsFinite(d):
                        cell.Value = d;
                        cell.Style.NumberFormat.Format = columns[c].NumberFormat;
                        break;
                    case int i:
                        cell.Value = i;
                        break;
                    case long l:
                        cell.Value = l;
                        break;
                    case string s:
                        cell.SetValue(s); // text, never a formula (a target's source may begin with "=")
                        break;
                }
            }

            r++;
        }

        return r;
    }
}
