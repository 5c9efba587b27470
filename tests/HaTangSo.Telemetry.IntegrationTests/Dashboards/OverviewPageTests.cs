using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using HaTangSo.Telemetry.IntegrationTests.Compliance;
using HaTangSo.Telemetry.Server.Api;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Testing;
using SkiaSharp;

namespace HaTangSo.Telemetry.IntegrationTests.Dashboards;

/// <summary>
/// The page an official opens: <c>/overview/{province}</c> rendered by headless Chromium from the real server, its DOM
/// compared with <c>/api/compliance/{province}</c>, and a screenshot that shows the status colours.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed partial class OverviewPageTests(DashboardEnvironment environment)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task Chromium_shows_every_district_and_access_with_the_api_status_in_Vietnamese()
    {
        var ct = TestContext.Current.CancellationToken;
        var dom = await RunChromiumAsync(["--dump-dom", PageUrl("/overview/42")], ct);

        Assert.Contains("<h1>Tỉnh Hà Tĩnh (42)</h1>", dom, StringComparison.Ordinal);
        var rows = TableRow().Matches(dom).ToDictionary(
            m => (m.Groups["district"].Value, m.Groups["access"].Value),
            m => (Status: m.Groups["status"].Value, Cells: Cell().Matches(m.Groups["cells"].Value).Select(c => WebUtility.HtmlDecode(c.Groups[1].Value)).ToList()));
        using var api = JsonDocument.Parse(await environment.Server.Http.GetStringAsync("/api/compliance/42?area=former-district", ct));
        Assert.Equal(api.RootElement.GetArrayLength(), rows.Count);
        // One table per kind of area, former districts first; the 2025 communes below them.
        Assert.True(dom.IndexOf("<h2>Huyện cũ (trước 1/7/2025)</h2>", StringComparison.Ordinal) < dom.IndexOf("<h2>Xã/phường</h2>", StringComparison.Ordinal));
        Assert.Contains("data-area-kind=\"commune\" data-area=\"18409\"", dom, StringComparison.Ordinal);
        Assert.Contains("Xã Hồng Lộc", dom, StringComparison.Ordinal);
        foreach (var expected in api.RootElement.EnumerateArray())
        {
            var (status, cells) = rows[(expected.GetProperty("districtCode").GetString()!, expected.GetProperty("access").GetString()!)];
            Assert.Equal(expected.GetProperty("status").GetString(), status);
            Assert.Equal(expected.GetProperty("districtName").GetString(), cells[0]);
            // Numbers in Vietnamese format in what people read: 1.234 samples, 214,9 Mb/s.
            Assert.Equal(expected.GetProperty("samples").GetInt32().ToString("#,##0", VerdictTexts.VietnameseNumbers), cells[6]);
            if (expected.GetProperty("value").ValueKind == JsonValueKind.Number)
            {
                Assert.Equal($"{expected.GetProperty("value").GetDouble().ToString("#,##0.0", VerdictTexts.VietnameseNumbers)} Mb/s", cells[4]);
            }
        }

        var below = rows[("445", "fixed")];
        Assert.Equal(("below", "Huyện Thạch Hà", "Không đạt — below target"), (below.Status, below.Cells[0], below.Cells[7]));
        Assert.Equal(VerdictTexts.Target("download", "mean", "link", 150, Lang.Vi), below.Cells[5]);
        Assert.Equal("Đạt — met", rows[("436", "fixed")].Cells[7]);
        Assert.Equal("Chưa đủ mẫu — insufficient data", rows[("437", "fixed")].Cells[7]);

        // Lai Châu's plan names no speed: every row says so.
        var laiChau = await RunChromiumAsync(["--dump-dom", PageUrl("/overview/12")], ct);
        Assert.Contains("Thành phố Lai Châu", laiChau, StringComparison.Ordinal);
        Assert.All(TableRow().Matches(laiChau), m => Assert.Equal("no_target", m.Groups["status"].Value));
        Assert.NotEmpty(TableRow().Matches(laiChau));
    }

    [Fact]
    public async Task The_screenshot_is_a_png_showing_the_below_and_met_colours()
    {
        var ct = TestContext.Current.CancellationToken;
        using var directory = new TempDirectory("hts-screenshot");
        var png = Path.Combine(directory.Path, "overview-42.png");
        await RunChromiumAsync([$"--screenshot={png}", "--window-size=1600,4000", "--hide-scrollbars", PageUrl("/overview/42")], ct);

        Assert.True(File.Exists(png), "Chromium wrote no screenshot");
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.Equal((1600, 4000), (bitmap.Width, bitmap.Height)); // the whole table of Hà Tĩnh's 12 districts, with the interval columns
        var colours = new Dictionary<SKColor, int>();
        for (var y = 0; y < bitmap.Height; y += 2)
        {
            for (var x = 0; x < bitmap.Width; x += 2)
            {
                var pixel = bitmap.GetPixel(x, y);
                colours[pixel] = colours.GetValueOrDefault(pixel) + 1;
            }
        }

        // Not blank: text pixels (dark) and the status cells' backgrounds from the page's style sheet.
        Assert.True(colours.Count > 20, $"{colours.Count} distinct colours");
        Assert.True(colours.Where(c => c.Key.Red < 80 && c.Key.Green < 80 && c.Key.Blue < 80).Sum(c => c.Value) > 500, "no text drawn");
        TestContext.Current.AddAttachment("overview-42.png", File.ReadAllBytes(png));
        var top = string.Join(", ", colours.OrderByDescending(c => c.Value).Take(12).Select(c => $"{c.Key}={c.Value}"));
        Assert.True(Near(colours, SKColor.Parse("ffcdd2")) > 200, "no 'below target' cell drawn; colours: " + top);
        Assert.True(Near(colours, SKColor.Parse("c8e6c9")) > 200, "no 'met' cell drawn; colours: " + top);
    }

    // Colour management may move a CSS colour by a step or two.
    private static int Near(Dictionary<SKColor, int> colours, SKColor expected) =>
        colours.Where(c => Math.Abs(c.Key.Red - expected.Red) + Math.Abs(c.Key.Green - expected.Green) + Math.Abs(c.Key.Blue - expected.Blue) <= 9).Sum(c => c.Value);

    [Fact]
    public async Task The_page_needs_a_viewer_key_and_knows_only_provinces_of_the_catalogue()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = new HttpClient { BaseAddress = environment.Server.Http.BaseAddress };
        using (var refused = await anonymous.GetAsync("/overview/42", ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.StartsWith("Basic", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        anonymous.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("official:"u8.ToArray().Concat(System.Text.Encoding.UTF8.GetBytes(ServerInstance.ViewerKey)).ToArray()));
        using (var page = await anonymous.GetAsync("/overview/42", ct))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        }

        using (var unknown = await anonymous.GetAsync("/overview/99", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
    }

    private string PageUrl(string path)
    {
        // The key as the password of HTTP Basic, as a person's browser sends it after the server's challenge.
        var address = environment.Server.Http.BaseAddress!;
        return $"http://official:{Uri.EscapeDataString(ServerInstance.ViewerKey)}@{address.Host}:{address.Port}{path}";
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

    [GeneratedRegex("<tr data-area-kind=\"former-district\" data-area=\"[^\"]*\" data-district=\"(?<district>[^\"]*)\" data-access=\"(?<access>[^\"]*)\" data-status=\"(?<status>[^\"]*)\">(?<cells>.*?)</tr>", RegexOptions.Singleline)]
    private static partial Regex TableRow();

    [GeneratedRegex("<td[^>]*>(.*?)</td>", RegexOptions.Singleline)]
    private static partial Regex Cell();
}

/// <summary>The overview page's HTML, without a browser.</summary>
public sealed class OverviewPageRenderTests
{
    [Fact]
    public void Render_escapes_names_and_sources()
    {
        var now = DateTimeOffset.UnixEpoch;
        var html = OverviewPage.Render("42", "Tỉnh <b>Hà Tĩnh</b>", "rolling",
            [new(now, now, now, "former-district", "445\"", "<script>alert(1)</script>", "fixed", "", "download", "mean", 1, 2, 3, ComplianceStatus.Below, "A & B")]);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("data-district=\"445&quot;\"", html, StringComparison.Ordinal);
        Assert.Contains("A &amp; B", html, StringComparison.Ordinal);
        Assert.Contains("Tỉnh &lt;b&gt;Hà Tĩnh&lt;/b&gt;", html, StringComparison.Ordinal);
    }
}
