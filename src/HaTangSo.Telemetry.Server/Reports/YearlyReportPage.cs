using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using HaTangSo.Telemetry.Server.Compliance;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>
/// The yearly report as a print-ready page in Vietnamese (A4 landscape, <c>@page</c>): a browser's "Save as PDF" gives
/// the document the department publishes. Headings and labels are Vietnamese, numbers in the Vietnamese format
/// (<c>150,5</c>), times in Vietnam time; each area × access × operator has its 12 monthly status cells. Every name is
/// HTML-escaped. The charts are embedded (PNG as data URIs), so the page needs nothing else.
/// </summary>
internal static class YearlyReportPage
{
    private static readonly HtmlEncoder s_html = HtmlEncoder.Create(UnicodeRanges.All);

    public static string Render(YearlyReport report)
    {
        var html = new StringBuilder(64 * 1024);
        void Text(string? value) => html.Append(s_html.Encode(value ?? string.Empty));
        var title = $"Báo cáo thống kê chất lượng băng rộng năm {report.Year} — {report.ProvinceName}";
        html.Append("<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>");
        Text(title);
        html.Append("</title><style>")
            .Append("@page{size:A4 landscape;margin:12mm}")
            .Append("body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:9pt;color:#222;margin:0}")
            .Append("h1{font-size:15pt;margin:0 0 4pt}h2{font-size:12pt;margin:12pt 0 4pt;break-after:avoid}")
            .Append("table{border-collapse:collapse;width:100%;margin-bottom:8pt}th,td{border:1px solid #999;padding:2pt 3pt}th{background:#e8e8e8}")
            .Append("tr{break-inside:avoid}td.n{text-align:right;white-space:nowrap}td.m{width:14pt;text-align:center;font-weight:bold}")
            .Append(".met{background:#c8e6c9}.below{background:#ffcdd2}.inconclusive{background:#ffe0b2}.insufficient_data{background:#fff9c4}.no_target{background:#eceff1}")
            .Append("img{max-width:100%;break-inside:avoid}.legend span{display:inline-block;padding:1pt 4pt;margin-right:4pt;border:1px solid #999}")
            .Append("</style></head><body>\n<h1>");
        Text(title);
        html.Append("</h1>\n<p>");
        Text($"Mã tỉnh {report.ProvinceCode}; số liệu từ {report.PeriodLabel} (giờ Việt Nam); lập lúc {VerdictTexts.Time(report.GeneratedAt)}. "
            + "Giá trị theo đường truyền: mỗi đường truyền của thiết bị đo tại trụ sở xã tính một lần; khoảng tin cậy 95 %.");
        html.Append("</p>\n<h2>Tóm tắt</h2>\n<ul>\n");
        foreach (var line in report.SummaryLines(Lang.Vi))
        {
            html.Append("<li>");
            Text(line);
            html.Append("</li>\n");
        }

        html.Append("</ul>\n<p class=\"legend\">Trạng thái theo tháng: ");
        foreach (var status in new[] { ComplianceStatus.Met, ComplianceStatus.Below, ComplianceStatus.Inconclusive, ComplianceStatus.InsufficientData, ComplianceStatus.NoTarget })
        {
            html.Append("<span class=\"").Append(status).Append("\">").Append(Short(status)).Append(" = ");
            Text(VerdictTexts.Status(status, Lang.Vi));
            html.Append("</span>");
        }

        html.Append("</p>\n<img alt=\"Biểu đồ tốc độ tải xuống theo vùng\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(report.BarChartPng())).Append("\">\n");
        html.Append("<img alt=\"Biểu đồ tốc độ tải xuống theo tháng\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(report.MonthChartPng())).Append("\">\n");
        foreach (var kind in report.Rows.Select(r => r.AreaKind).Distinct().OrderBy(KindOrder))
        {
            html.Append("<h2>");
            Text(VerdictTexts.AreaKind(kind, Lang.Vi));
            html.Append("</h2>\n<table class=\"yearly\"><thead><tr><th>Vùng</th><th>Mã</th><th>Truy nhập</th><th>Nhà mạng</th><th>Giá trị năm (95 %)</th>")
                .Append("<th>Giờ cao điểm</th><th>Số mẫu</th><th>Đường truyền</th><th>So với năm trước</th><th>Chỉ tiêu</th><th>Cả năm</th>");
            for (var m = 1; m <= 12; m++)
            {
                html.Append("<th>T").Append(m).Append("</th>");
            }

            html.Append("<th>Đạt QCVN 34</th></tr></thead>\n<tbody>\n");
            foreach (var row in report.Rows.Where(r => r.AreaKind == kind).OrderBy(r => r.AreaCode, StringComparer.Ordinal)
                .ThenBy(r => r.Access, StringComparer.Ordinal).ThenBy(r => r.Operator == ComplianceWindow.AllOperators ? 0 : 1).ThenBy(r => r.Operator, StringComparer.Ordinal))
            {
                AppendRow(html, row);
            }

            html.Append("</tbody></table>\n");
        }

        html.Append("<h2>Xếp hạng nhà mạng</h2>\n<table class=\"ranking\"><thead><tr><th>Vùng</th><th>Truy nhập</th><th>Hạng</th><th>Nhà mạng</th>")
            .Append("<th>Giá trị năm (95 %)</th><th>Giờ cao điểm</th><th>Số mẫu</th><th>Đường truyền</th></tr></thead>\n<tbody>\n");
        foreach (var ranked in ReportColumns.Rank(report.AsReportRows()))
        {
            html.Append("<tr><td>");
            Text(ranked.AreaName);
            html.Append("</td><td>");
            Text(VerdictTexts.Access(ranked.Access, Lang.Vi));
            html.Append("</td><td class=\"n\">").Append(ranked.Rank).Append("</td><td>");
            Text(ranked.Operator);
            html.Append("</td><td class=\"n\">");
            Text(VerdictTexts.Value(ranked.Value, ranked.CiLow, ranked.CiHigh, ranked.Metric, ranked.Statistic, Lang.Vi));
            html.Append("</td><td class=\"n\">");
            Text(ranked.BusyValue is { } busy ? VerdictTexts.Number(busy, Lang.Vi) : "—");
            html.Append("</td><td class=\"n\">");
            Text(VerdictTexts.Number(ranked.Samples, Lang.Vi, "#,##0"));
            html.Append("</td><td class=\"n\">").Append(ranked.Links).Append("</td></tr>\n");
        }

        html.Append("</tbody></table>\n<h2>QCVN 34:2022/BTTTT — tỷ lệ đường truyền cố định đạt</h2>\n<table class=\"qcvn34\"><thead><tr><th>Vùng</th><th>Nhà mạng</th>")
            .Append("<th>Tỷ lệ đạt</th><th>Đạt</th><th>Không đạt</th><th>Chưa đủ mẫu</th><th>Chưa khai báo tốc độ cam kết</th></tr></thead>\n<tbody>\n");
        foreach (var share in report.Qcvn34Shares)
        {
            html.Append("<tr><td>");
            Text(share.AreaName);
            html.Append("</td><td>");
            Text(VerdictTexts.Operator(share.Operator, Lang.Vi));
            html.Append("</td><td class=\"n\">");
            Text(share.SharePct is { } pct ? VerdictTexts.Number(pct, Lang.Vi) + " %" : "—");
            html.Append("</td><td class=\"n\">").Append(share.LinksMet).Append("</td><td class=\"n\">").Append(share.LinksBelow)
                .Append("</td><td class=\"n\">").Append(share.LinksInsufficient).Append("</td><td class=\"n\">").Append(share.LinksNoAdvertised).Append("</td></tr>\n");
        }

        html.Append("</tbody></table>\n<p>");
        Text("Nguồn: hệ thống đo HaTangSo.Telemetry (thiết bị đo tại trụ sở UBND xã). Chỉ tiêu theo kế hoạch của tỉnh; "
            + "QCVN 34: tốc độ tải xuống trung bình ≥ 80 % tốc độ cam kết.");
        html.Append("</p>\n</body></html>\n");
        return html.ToString();
    }

    private static void AppendRow(StringBuilder html, YearlyRow row)
    {
        void Text(string? value) => html.Append(s_html.Encode(value ?? string.Empty));
        html.Append("<tr data-area-kind=\"").Append(s_html.Encode(row.AreaKind)).Append("\" data-area=\"").Append(s_html.Encode(row.AreaCode))
            .Append("\" data-access=\"").Append(s_html.Encode(row.Access)).Append("\" data-operator=\"").Append(s_html.Encode(row.Operator)).Append("\"><td>");
        Text(row.AreaName);
        html.Append("</td><td>");
        Text(row.AreaCode);
        html.Append("</td><td>");
        Text(VerdictTexts.Access(row.Access, Lang.Vi) + (row.Technology.Length > 0 ? " " + row.Technology : string.Empty));
        html.Append("</td><td>");
        Text(VerdictTexts.Operator(row.Operator, Lang.Vi));
        html.Append("</td><td class=\"n\">");
        Text(VerdictTexts.Value(row.Value, row.CiLow, row.CiHigh, row.Metric, row.Statistic, Lang.Vi));
        html.Append("</td><td class=\"n\">");
        Text(row.BusyValue is { } busy ? VerdictTexts.Number(busy, Lang.Vi) : "—");
        html.Append("</td><td class=\"n\">");
        Text(VerdictTexts.Number(row.Samples, Lang.Vi, "#,##0"));
        html.Append("</td><td class=\"n\">").Append(row.Links).Append("</td><td class=\"n\">");
        Text(row.TrendPct is { } trend ? (trend >= 0 ? "+" : string.Empty) + VerdictTexts.Number(trend, Lang.Vi) + " %" : "—");
        html.Append("</td><td>");
        Text(VerdictTexts.Target(row.Metric, row.Statistic, row.Weighting, row.Target, Lang.Vi));
        html.Append("</td><td class=\"").Append(row.Status).Append("\">");
        Text(VerdictTexts.Status(row.Status, Lang.Vi));
        html.Append("</td>");
        for (var m = 0; m < 12; m++)
        {
            var status = row.MonthStatuses[m];
            html.Append("<td class=\"m ").Append(status ?? "none").Append("\" data-month=\"").Append(m + 1).Append("\">").Append(status is null ? string.Empty : Short(status)).Append("</td>");
        }

        html.Append("<td class=\"n\">");
        Text(row.Qcvn34SharePct is { } pct ? VerdictTexts.Number(pct, Lang.Vi) + " %" : "—");
        html.Append("</td></tr>\n");
    }

    // One letter per status in the 12 monthly cells (the legend says what each is).
    private static string Short(string status) => status switch
    {
        ComplianceStatus.Met => "Đ",
        ComplianceStatus.Below => "K",
        ComplianceStatus.Inconclusive => "?",
        ComplianceStatus.InsufficientData => "T",
        _ => "–",
    };

    private static int KindOrder(string kind) => kind switch
    {
        "province" => 0, "former-province" => 1, "former-district" => 2, "commune" => 3, _ => 4,
    };
}
