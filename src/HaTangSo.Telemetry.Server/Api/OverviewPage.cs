using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Compliance;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// The provincial overview as a page a person reads in a browser: the same rows as <c>GET /api/compliance/{province}</c>
/// (areas × access, all operators: value with its 95 % interval, target with its statistic and weighting, samples, probe
/// links, status and since when), then the operators ranked per area; Vietnamese names, labels, numbers (<c>150,5</c>)
/// and Vietnam time; behind the viewer role. A browser is asked for the API key through HTTP Basic (any user name, the
/// key as password).
/// </summary>
internal static class OverviewPage
{
    // Vietnamese letters stay readable in the source of the page; markup characters are still escaped.
    private static readonly HtmlEncoder s_html = HtmlEncoder.Create(UnicodeRanges.All);

    private static readonly Dictionary<string, (string Label, string Css)> s_statuses = new()
    {
        [ComplianceStatus.Met] = ("Đạt — met", "met"),
        [ComplianceStatus.Below] = ("Không đạt — below target", "below"),
        [ComplianceStatus.Inconclusive] = ("Chưa kết luận được — inconclusive", "inconclusive"),
        [ComplianceStatus.InsufficientData] = ("Chưa đủ mẫu — insufficient data", "insufficient"),
        [ComplianceStatus.NoTarget] = ("Chưa có chỉ tiêu — no target", "none"),
    };

    public static RouteHandlerBuilder MapOverviewPage(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/overview/{province}", RenderAsync).RequireAuthorization(ApiRoles.Viewer).ExcludeFromDescription();

    private static async Task<Results<ContentHttpResult, NotFound, ValidationProblem>> RenderAsync(
        [NameRule(NameKind.RegionCode)] string province, string? window, ComplianceStore store, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        window ??= "rolling";
        if (!ComplianceWindow.IsValid(window))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["window"] = ["must be rolling, month or busy"] });
        }

        await using var command = dataSource.CreateCommand("SELECT name FROM provinces WHERE code = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = province });
        if (await command.ExecuteScalarAsync(cancellationToken) is not string provinceName)
        {
            return TypedResults.NotFound();
        }

        var rows = await store.LatestAsync(window, province, null, null, cancellationToken, op: null);
        return TypedResults.Content(Render(province, provinceName, window, rows), "text/html; charset=utf-8");
    }

    internal static string Render(string province, string provinceName, string window, IReadOnlyList<ComplianceRecord> rows)
    {
        var html = new StringBuilder(4096);
        void Text(string? value) => html.Append(s_html.Encode(value ?? string.Empty));
        var inv = CultureInfo.InvariantCulture;
        html.Append("<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>");
        Text($"Tốc độ băng rộng — {provinceName}");
        html.Append("</title><style>")
            .Append("body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px;color:#222}")
            .Append("table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:4px 10px}td.n{text-align:right}")
            .Append("th{background:#eee}.met{background:#c8e6c9}.below{background:#ffcdd2}.inconclusive{background:#ffe0b2}.insufficient{background:#fff9c4}.none{background:#eceff1}")
            .Append("</style></head><body>\n<h1>");
        Text($"{provinceName} ({province})");
        html.Append("</h1>\n<p>");
        Text(window switch
        {
            "month" => "Tốc độ tải xuống so với chỉ tiêu — tháng hiện tại (download speed against the target, this month)",
            "busy" => "Tốc độ tải xuống so với chỉ tiêu — giờ cao điểm của 7 ngày gần nhất (download speed against the target, busy hours)",
            _ => "Tốc độ tải xuống so với chỉ tiêu — 7 ngày gần nhất (download speed against the target, rolling window)",
        });
        html.Append("</p>\n");
        if (rows.Count == 0)
        {
            html.Append("<p id=\"empty\">Chưa có kết quả đánh giá (no evaluation yet).</p>\n</body></html>\n");
            return html.ToString();
        }

        var all = rows.Where(r => r.Operator == ComplianceWindow.AllOperators).ToList();
        html.Append("<p>");
        Text($"Đánh giá lúc (evaluated at) {VerdictTexts.Time(rows.Max(r => r.EvaluatedAt))} (giờ Việt Nam, UTC+7); ");
        foreach (var group in all.GroupBy(r => r.Status).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Text($"{Label(group.Key)}: {group.Count()}; ");
        }

        html.Append("</p>\n");
        // One table per kind of area (former districts first: that is what the plans and people compare), Vietnamese names.
        var kinds = all.Select(r => r.AreaKind).Distinct().OrderBy(k => KindOrder(k)).ToList();
        foreach (var kind in kinds)
        {
            var label = AreaKinds.TryParse(kind, out var parsed) ? parsed.Label() : kind;
            html.Append(inv, $"<h2>");
            Text(label);
            html.Append(inv, $"</h2>\n<table class=\"compliance\" id=\"compliance-{s_html.Encode(kind)}\"><thead><tr><th>");
            Text(label);
            html.Append("</th><th>Mã (code)</th><th>Loại (access)</th>")
                .Append("<th>Công nghệ (technology)</th><th>Giá trị (value)</th><th>Chỉ tiêu (target)</th><th>Số mẫu (samples)</th>")
                .Append("<th>Trạng thái (status)</th><th>Khoảng tin cậy 95 % (interval)</th><th>Số đường truyền (links)</th><th>Từ (since)</th>")
                .Append("<th>Nguồn (source)</th></tr></thead>\n<tbody>\n");
            AppendRows(html, all.Where(r => r.AreaKind == kind));
            html.Append("</tbody></table>\n");
        }

        AppendRanking(html, rows.Where(r => r.Operator != ComplianceWindow.AllOperators));

        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static int KindOrder(string kind) => kind switch
    {
        "former-district" => 0, "commune" => 1, "province" => 2, "former-province" => 3, _ => 4,
    };

    private static void AppendRows(StringBuilder html, IEnumerable<ComplianceRecord> rows)
    {
        void Text(string? value) => html.Append(s_html.Encode(value ?? string.Empty));
        var inv = CultureInfo.InvariantCulture;
        foreach (var row in rows.OrderBy(r => r.AreaCode, StringComparer.Ordinal).ThenBy(r => r.Access, StringComparer.Ordinal))
        {
            var css = s_statuses.TryGetValue(row.Status, out var s) ? s.Css : "none";
            html.Append(inv, $"<tr data-area-kind=\"{s_html.Encode(row.AreaKind)}\" data-area=\"{s_html.Encode(row.AreaCode)}\" ")
                .Append(inv, $"data-district=\"{s_html.Encode(row.DistrictCode ?? string.Empty)}\" data-access=\"{s_html.Encode(row.Access)}\" ")
                .Append(inv, $"data-status=\"{s_html.Encode(row.Status)}\"><td>");
            Text(row.AreaName);
            html.Append("</td><td>");
            Text(row.AreaCode);
            html.Append("</td><td>");
            Text(row.Access == "fixed" ? "cố định (fixed)" : row.Access == "mobile" ? "di động (mobile)" : row.Access);
            html.Append("</td><td>");
            Text(row.Technology.Length == 0 ? "—" : row.Technology);
            html.Append("</td><td class=\"n\">");
            Text(VerdictTexts.Value(row.Value, null, null, row.Metric, row.Statistic, Lang.Vi));
            html.Append("</td><td class=\"n\">");
            Text(row.Threshold is null ? "—" : VerdictTexts.Target(row.Metric, row.Statistic, row.Weighting, row.Threshold, Lang.Vi));
            html.Append("</td><td class=\"n\">");
            Text(VerdictTexts.Number(row.Samples, Lang.Vi, "#,##0"));
            html.Append(inv, $"</td><td class=\"{css}\">");
            Text(Label(row.Status));
            html.Append("</td><td class=\"n\">");
            Text(row.CiLow is { } low && row.CiHigh is { } high ? $"{VerdictTexts.Number(low, Lang.Vi)}–{VerdictTexts.Number(high, Lang.Vi)}" : "—");
            html.Append("</td><td class=\"n\">");
            Text(row.Links?.ToString(inv) ?? "—");
            html.Append("</td><td>");
            Text(row.StatusSince is { } since ? VerdictTexts.Time(since) : "—");
            html.Append("</td><td>");
            Text(row.TargetSource ?? "—");
            html.Append("</td></tr>\n");
        }
    }

    // Per area × access, the operators best first, with their samples and links (issue 13.3).
    private static void AppendRanking(StringBuilder html, IEnumerable<ComplianceRecord> rows)
    {
        void Text(string? value) => html.Append(s_html.Encode(value ?? string.Empty));
        var groups = rows.GroupBy(r => (r.AreaKind, r.AreaCode, r.AreaName, r.Access)).OrderBy(g => KindOrder(g.Key.AreaKind))
            .ThenBy(g => g.Key.AreaCode, StringComparer.Ordinal).ThenBy(g => g.Key.Access, StringComparer.Ordinal).ToList();
        if (groups.Count == 0)
        {
            return;
        }

        html.Append("<h2>Xếp hạng nhà mạng (operators ranked)</h2>\n<table class=\"ranking\"><thead><tr><th>Vùng (area)</th><th>Loại (access)</th>")
            .Append("<th>Hạng (rank)</th><th>Nhà mạng (operator)</th><th>Giá trị (value, 95 %)</th><th>Số mẫu (samples)</th><th>Số đường truyền (links)</th>")
            .Append("<th>Trạng thái (status)</th></tr></thead>\n<tbody>\n");
        foreach (var group in groups)
        {
            var rank = 0;
            foreach (var row in group.OrderBy(r => r.Value is null ? 1 : 0).ThenBy(r => r.Metric == "latency" ? r.Value ?? 0 : -(r.Value ?? 0)).ThenBy(r => r.Operator, StringComparer.Ordinal))
            {
                var css = s_statuses.TryGetValue(row.Status, out var s) ? s.Css : "none";
                html.Append("<tr data-operator=\"").Append(s_html.Encode(row.Operator)).Append("\" data-area=\"").Append(s_html.Encode(row.AreaCode))
                    .Append("\" data-access=\"").Append(s_html.Encode(row.Access)).Append("\"><td>");
                Text(row.AreaName);
                html.Append("</td><td>");
                Text(VerdictTexts.Access(row.Access, Lang.Vi));
                html.Append("</td><td class=\"n\">").Append(++rank).Append("</td><td>");
                Text(row.Operator);
                html.Append("</td><td class=\"n\">");
                Text(VerdictTexts.Value(row.Value, row.CiLow, row.CiHigh, row.Metric, row.Statistic, Lang.Vi));
                html.Append("</td><td class=\"n\">");
                Text(VerdictTexts.Number(row.Samples, Lang.Vi, "#,##0"));
                html.Append("</td><td class=\"n\">");
                Text(row.Links?.ToString(CultureInfo.InvariantCulture) ?? "—");
                html.Append("</td><td class=\"").Append(css).Append("\">");
                Text(Label(row.Status));
                html.Append("</td></tr>\n");
            }
        }

        html.Append("</tbody></table>\n");
    }

    private static string Label(string status) => s_statuses.TryGetValue(status, out var s) ? s.Label : status;
}
