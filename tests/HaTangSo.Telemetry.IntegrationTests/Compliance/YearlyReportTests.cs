using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.Server.Reports;
using HaTangSo.Telemetry.Testing;
using SkiaSharp;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>
/// Issue 13.7: the yearly statistical report of a seeded year, as JSON, as an XLSX workbook read back sheet by sheet,
/// and as the A4 page rendered by headless Chromium (its DOM: the Vietnamese headings and the 12 monthly cells; its
/// screenshot: a PNG).
/// </summary>
public sealed class YearlyReportTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_yearly_report_of_a_seeded_year_has_every_month_in_json_xlsx_and_the_page_chromium_renders()
    {
        var ct = TestContext.Current.CancellationToken;
        var now = new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero);
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, now, ct);
        context.Config["Compliance:EvaluationLevels"] = "former-district";
        var server = await context.StartInstanceAsync(ct);
        // Thạch Hà's fixed line: 40 results on the 10th of every month of 2025 near 165 Mb/s (target 150), and 100 Mb/s
        // in June 2024 (the previous year, for the trend).
        for (var month = 1; month <= 12; month++)
        {
            var day = new DateTimeOffset(2025, month, 10, 0, 0, 0, TimeSpan.Zero);
            await context.WriteResultsAsync("445", "18409", "p-year", "fixed", day, day.AddHours(10), 40, i => 160 + (i % 11), ct);
        }

        var thisYear = context.Written.ToList();
        var june = new DateTimeOffset(2024, 6, 10, 0, 0, 0, TimeSpan.Zero);
        await context.WriteResultsAsync("445", "18409", "p-year", "fixed", june, june.AddHours(10), 40, _ => 100, ct);

        using var generated = await server.Http.PostAsync("/api/reports/42/2025", null, ct);
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
        var report = await generated.Content.ReadFromJsonAsync<JsonElement>(ct);
        var row = report.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("areaCode").GetString() == "445"
            && r.GetProperty("access").GetString() == "fixed" && r.GetProperty("operator").GetString() == "all");
        Assert.Equal(thisYear.Count, row.GetProperty("samples").GetInt32());
        Assert.Equal(thisYear.Average(r => r.Download), row.GetProperty("value").GetDouble(), 6);
        Assert.Equal(100, row.GetProperty("previousValue").GetDouble(), 6);
        Assert.Equal(Enumerable.Repeat("met", 12), row.GetProperty("monthStatuses").EnumerateArray().Select(s => s.GetString()));

        // The workbook: every sheet reads back; the details carry the 12 monthly verdicts in Vietnamese.
        var xlsx = await server.Http.GetByteArrayAsync("/api/reports/42/2025.xlsx", ct);
        using (var workbook = new XlsxReader(xlsx))
        {
            foreach (var sheet in new[] { YearlyReport.SummarySheet, YearlyReport.DetailSheet, YearlyReport.RankingSheet, YearlyReport.Qcvn34Sheet })
            {
                Assert.NotEmpty(workbook.Rows(sheet));
            }

            var detail = workbook.Rows(YearlyReport.DetailSheet).Single(r => r.ContainsValue("Huyện Thạch Hà") && r.ContainsValue("cố định") && r.ContainsValue("mọi nhà mạng"));
            Assert.True(detail.Values.Count(v => v == "Đạt") >= 12, string.Join(" | ", detail.Values));
        }

        // The A4 page as a browser shows it (the viewer key through HTTP Basic, as a person's browser sends it).
        var address = server.Http.BaseAddress!;
        var url = $"http://official:{Uri.EscapeDataString(ServerInstance.ViewerKey)}@{address.Host}:{address.Port}/overview/42/2025";
        var dom = await RunChromiumAsync(["--dump-dom", url], ct);
        Assert.Contains("<h1>Báo cáo thống kê chất lượng băng rộng năm 2025", dom, StringComparison.Ordinal);
        Assert.Contains("<h2>Tóm tắt</h2>", dom, StringComparison.Ordinal);
        Assert.Contains("<h2>Xếp hạng nhà mạng</h2>", dom, StringComparison.Ordinal);
        for (var m = 1; m <= 12; m++)
        {
            Assert.Contains($"class=\"m met\" data-month=\"{m}\"", dom, StringComparison.Ordinal);
        }

        using var directory = new TempDirectory("hts-yearly");
        var png = Path.Combine(directory.Path, "yearly-42-2025.png");
        await RunChromiumAsync([$"--screenshot={png}", "--window-size=1123,794", "--hide-scrollbars", url], ct); // A4 landscape at 96 dpi
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.Equal((1123, 794), (bitmap.Width, bitmap.Height));
    }

    private static async Task<string> RunChromiumAsync(IEnumerable<string> arguments, CancellationToken ct)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} not found: apt-get install chromium (deploy/local/install-deps.sh installs it).");
        using var profile = new TempDirectory("hts-chromium");
        var start = new ProcessStartInfo(Chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage", $"--user-data-dir={profile.Path}", .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
