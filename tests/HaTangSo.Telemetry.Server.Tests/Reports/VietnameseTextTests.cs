using System.Globalization;
using System.Text;
using ClosedXML.Excel;
using CsvHelper;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Reports;

namespace HaTangSo.Telemetry.Server.Tests.Reports;

/// <summary>
/// Issue 13.6: what people read is Vietnamese. Real area names carrying every diacritic class (the five tones on
/// plain and modified vowels, ă â ê ô ơ ư, đ, capitals) reach the CSV and the XLSX unchanged; numbers in documents are
/// in Vietnamese format; times are Vietnam time.
/// </summary>
public sealed class VietnameseTextTests
{
    // sắc, huyền, hỏi, ngã, nặng; on a, ă, â, e, ê, i, o, ô, ơ, u, ư, y; Đ/đ; capitals with marks (Ỷ, Ứ, Đ).
    public static TheoryData<string> Names => new()
    {
        "Xã Ỷ La",
        "Phường Quỳnh Lưu",
        "Xã Đắk Nông",
        "Xã Mường Tè",
        "Phường Hồng Lĩnh",
        "Xã Thạch Hà",
        "Xã Cẩm Xuyên",
        "Xã Ứng Hòa",
        "Xã Mỹ Đức",
        "Đặc khu Lý Sơn",
        "Xã Nậm Nhùn",
        "Phường Ngọc Thụy",
        "Xã Ẳng Cang",
        "Xã Ễ Tể Ở Ữ",
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void AreaNames_ReachTheCsvAndTheXlsxUnchanged(string name)
    {
        Assert.True(name.IsNormalized(NormalizationForm.FormC));
        var report = new MonthlyReport("42", "Tỉnh Hà Tĩnh", new DateOnly(2026, 2, 1),
            [new ReportRow("commune", "18409", name, "fixed", "ftth", "download", "mean", 150.5, 150, 250, "met", "568/KH-UBND")], []);

        using (var reader = new CsvReader(new StreamReader(new MemoryStream(report.ToCsv()), Encoding.UTF8), CultureInfo.InvariantCulture))
        {
            var found = false;
            while (reader.Read())
            {
                for (var i = 0; reader.TryGetField<string>(i, out var field); i++)
                {
                    found |= field == name;
                }
            }

            Assert.True(found, $"{name} not in the CSV");
        }

        using var workbook = new XLWorkbook(new MemoryStream(report.ToXlsxWithoutChart()));
        Assert.Contains(workbook.Worksheet(MonthlyReport.ComplianceSheet).CellsUsed(), c => c.GetString() == name);
    }

    [Fact]
    public void Numbers_InDocuments_AreInVietnameseFormat_AndMachineFieldsStayInvariant()
    {
        Assert.Equal("150,5 Mb/s", VerdictTexts.Value(150.5, null, null, "download", "mean", Lang.Vi));
        Assert.Equal("1.234,5 Mb/s (95 %: 1.200,0–1.250,3)", VerdictTexts.Value(1234.5, 1200, 1250.3, "download", "mean", Lang.Vi));
        Assert.Equal("150.5 Mb/s", VerdictTexts.Value(150.5, null, null, "download", "mean", Lang.En));
        Assert.Equal("Đạt", VerdictTexts.Status("met", Lang.Vi));
        Assert.Equal("Chưa kết luận được", VerdictTexts.Status("inconclusive", Lang.Vi));
    }

    [Fact]
    public void Times_AreVietnamTime() =>
        Assert.Equal("01/03/2026 06:30", VerdictTexts.Time(new DateTimeOffset(2026, 2, 28, 23, 30, 0, TimeSpan.Zero)));
}
