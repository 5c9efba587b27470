using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>Reads an XLSX with the Open XML SDK (ClosedXML 0.95 needs libgdiplus to open a workbook with a picture).</summary>
internal sealed class XlsxReader : IDisposable
{
    private readonly SpreadsheetDocument _document;

    public XlsxReader(byte[] xlsx) => _document = SpreadsheetDocument.Open(new MemoryStream(xlsx), isEditable: false);

    /// <summary>The rows of a sheet as text cells (numbers in invariant culture), keyed by column letter.</summary>
    public List<Dictionary<string, string>> Rows(string sheetName)
    {
        var part = SheetPart(sheetName);
        var shared = _document.WorkbookPart!.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().Select(i => i.InnerText).ToList() ?? [];
        var rows = new List<Dictionary<string, string>>();
        foreach (var row in part.Worksheet.Descendants<Row>())
        {
            var cells = new Dictionary<string, string>();
            foreach (var cell in row.Elements<Cell>())
            {
                var column = new string(cell.CellReference!.Value!.TakeWhile(char.IsLetter).ToArray());
                var text = cell.DataType?.Value == CellValues.SharedString ? shared[int.Parse(cell.CellValue!.Text, System.Globalization.CultureInfo.InvariantCulture)]
                    : cell.DataType?.Value == CellValues.InlineString ? cell.InlineString!.InnerText
                    : cell.CellValue?.Text ?? string.Empty;
                cells[column] = text;
            }

            rows.Add(cells);
        }

        return rows;
    }

    /// <summary>The images placed on a sheet.</summary>
    public int Pictures(string sheetName) => SheetPart(sheetName).DrawingsPart?.ImageParts.Count() ?? 0;

    private WorksheetPart SheetPart(string sheetName)
    {
        var workbook = _document.WorkbookPart!;
        var sheet = workbook.Workbook.Descendants<Sheet>().Single(s => s.Name == sheetName);
        return (WorksheetPart)workbook.GetPartById(sheet.Id!);
    }

    public void Dispose() => _document.Dispose();
}
