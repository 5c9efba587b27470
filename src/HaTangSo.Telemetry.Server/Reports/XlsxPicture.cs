using System.Buffers.Binary;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using A = DocumentFormat.OpenXml.Drawing;
using Xdr = DocumentFormat.OpenXml.Drawing.Spreadsheet;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>
/// Puts a PNG on a worksheet with the Open XML SDK. ClosedXML 0.95 (the version on hand) reads pictures through
/// System.Drawing, which needs libgdiplus on Linux; this writes the drawing part directly and needs nothing native.
/// </summary>
internal static class XlsxPicture
{
    private const long EmuPerPixel = 9525;

    /// <summary>Adds <paramref name="png"/> to worksheet <paramref name="sheetName"/> of <paramref name="xlsx"/> at zero-based <paramref name="row"/>, <paramref name="column"/>.</summary>
    public static byte[] Add(byte[] xlsx, string sheetName, byte[] png, int row, int column)
    {
        using var stream = new MemoryStream();
        stream.Write(xlsx);
        using (var document = SpreadsheetDocument.Open(stream, isEditable: true))
        {
            var workbook = document.WorkbookPart!;
            var sheet = workbook.Workbook.Descendants<DocumentFormat.OpenXml.Spreadsheet.Sheet>().First(s => s.Name == sheetName);
            var sheetPart = (WorksheetPart)workbook.GetPartById(sheet.Id!);
            var drawingPart = sheetPart.DrawingsPart ?? sheetPart.AddNewPart<DrawingsPart>();
            drawingPart.WorksheetDrawing ??= new Xdr.WorksheetDrawing();
            if (!sheetPart.Worksheet.Elements<DocumentFormat.OpenXml.Spreadsheet.Drawing>().Any())
            {
                sheetPart.Worksheet.Append(new DocumentFormat.OpenXml.Spreadsheet.Drawing { Id = sheetPart.GetIdOfPart(drawingPart) });
            }

            var imagePart = drawingPart.AddImagePart(ImagePartType.Png);
            using (var image = new MemoryStream(png))
            {
                imagePart.FeedData(image);
            }

            // Every drawing object of a sheet needs its own id (a second chart on one sheet).
            var pictureId = (uint)drawingPart.WorksheetDrawing.ChildElements.Count + 2U;
            var width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)) * EmuPerPixel;
            var height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)) * EmuPerPixel;
            drawingPart.WorksheetDrawing.Append(new Xdr.OneCellAnchor(
                new Xdr.FromMarker(
                    new Xdr.ColumnId(column.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Xdr.ColumnOffset("0"),
                    new Xdr.RowId(row.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Xdr.RowOffset("0")),
                new Xdr.Extent { Cx = width, Cy = height },
                new Xdr.Picture(
                    new Xdr.NonVisualPictureProperties(
                        new Xdr.NonVisualDrawingProperties { Id = pictureId, Name = "chart " + pictureId },
                        new Xdr.NonVisualPictureDrawingProperties(new A.PictureLocks { NoChangeAspect = true })),
                    new Xdr.BlipFill(
                        new A.Blip { Embed = drawingPart.GetIdOfPart(imagePart) },
                        new A.Stretch(new A.FillRectangle())),
                    new Xdr.ShapeProperties(
                        new A.Transform2D(new A.Offset { X = 0, Y = 0 }, new A.Extents { Cx = width, Cy = height }),
                        new A.PresetGeometry(new A.AdjustValueList()) { Preset = A.ShapeTypeValues.Rectangle })),
                new Xdr.ClientData()));
            drawingPart.WorksheetDrawing.Save();
            sheetPart.Worksheet.Save();
        }

        return stream.ToArray();
    }
}
