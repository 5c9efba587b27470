using HaTangSo.Telemetry.Server.Compliance;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>An operator's place among the operators of one area × access (best first), with its sample counts.</summary>
public sealed record RankedOperator(
    string AreaKind, string AreaCode, string AreaName, string Access, string Technology, int Rank, string Operator, string? Metric, string? Statistic,
    string? Weighting, double? Value, double? CiLow, double? CiHigh, double? BusyValue, int Samples, int Links, string Status);

/// <summary>The columns of the report tables: Vietnamese header first, English beside it.</summary>
internal static class ReportColumns
{
    public static IReadOnlyList<ReportColumn<ReportRow>> Rows { get; } =
    [
        new("Loại vùng", "Area kind", (r, _) => r.AreaKind),
        new("Mã vùng", "Area code", (r, _) => r.AreaCode),
        new("Tên vùng", "Area name", (r, _) => r.AreaName),
        new("Loại truy nhập", "Access", (r, l) => VerdictTexts.Access(r.Access, l)),
        new("Công nghệ", "Technology", (r, _) => r.Technology),
        new("Nhà mạng", "Operator", (r, l) => VerdictTexts.Operator(r.Operator, l)),
        new("Chỉ số", "Metric", (r, l) => VerdictTexts.Metric(r.Metric, l)),
        new("Thống kê", "Statistic", (r, l) => VerdictTexts.Statistic(r.Statistic, r.Weighting, l)),
        new("Giá trị", "Value", (r, _) => r.Value),
        new("Cận dưới 95 %", "95 % CI low", (r, _) => r.CiLow),
        new("Cận trên 95 %", "95 % CI high", (r, _) => r.CiHigh),
        new("Giá trị giờ cao điểm", "Busy-hour value", (r, _) => r.BusyValue),
        new("Cận dưới 95 % giờ cao điểm", "Busy-hour 95 % CI low", (r, _) => r.BusyCiLow),
        new("Cận trên 95 % giờ cao điểm", "Busy-hour 95 % CI high", (r, _) => r.BusyCiHigh),
        new("Chỉ tiêu", "Target", (r, _) => r.Target),
        new("Số mẫu", "Samples", (r, _) => r.Samples),
        new("Số đường truyền", "Probe links", (r, _) => r.Links),
        new("Trạng thái", "Status", (r, _) => r.Status),
        new("Đánh giá", "Verdict", (r, l) => VerdictTexts.Status(r.Status, l)),
        new("Đánh giá giờ cao điểm", "Busy-hour verdict", (r, l) => r.BusyStatus is null ? null : VerdictTexts.Status(r.BusyStatus, l)),
        new("Nguồn chỉ tiêu", "Target source", (r, _) => r.TargetSource),
    ];

    public static IReadOnlyList<ReportColumn<RankedOperator>> Ranking { get; } =
    [
        new("Loại vùng", "Area kind", (r, _) => r.AreaKind),
        new("Mã vùng", "Area code", (r, _) => r.AreaCode),
        new("Tên vùng", "Area name", (r, _) => r.AreaName),
        new("Loại truy nhập", "Access", (r, l) => VerdictTexts.Access(r.Access, l)),
        new("Công nghệ", "Technology", (r, _) => r.Technology),
        new("Hạng", "Rank", (r, _) => r.Rank),
        new("Nhà mạng", "Operator", (r, _) => r.Operator),
        new("Thống kê", "Statistic", (r, l) => VerdictTexts.Metric(r.Metric, l) + ", " + VerdictTexts.Statistic(r.Statistic, r.Weighting, l)),
        new("Giá trị", "Value", (r, _) => r.Value),
        new("Cận dưới 95 %", "95 % CI low", (r, _) => r.CiLow),
        new("Cận trên 95 %", "95 % CI high", (r, _) => r.CiHigh),
        new("Giá trị giờ cao điểm", "Busy-hour value", (r, _) => r.BusyValue),
        new("Số mẫu", "Samples", (r, _) => r.Samples),
        new("Số đường truyền", "Probe links", (r, _) => r.Links),
        new("Đánh giá", "Verdict", (r, l) => VerdictTexts.Status(r.Status, l)),
    ];

    public static IReadOnlyList<ReportColumn<Qcvn34AreaShare>> Qcvn34Shares { get; } =
    [
        new("Loại vùng", "Area kind", (r, _) => r.AreaKind),
        new("Mã vùng", "Area code", (r, _) => r.AreaCode),
        new("Tên vùng", "Area name", (r, _) => r.AreaName),
        new("Nhà mạng", "Operator", (r, l) => VerdictTexts.Operator(r.Operator, l)),
        new("Tỷ lệ đường truyền đạt QCVN 34 (%)", "Links meeting QCVN 34 (%)", (r, _) => r.SharePct),
        new("Đạt", "Met", (r, _) => r.LinksMet),
        new("Không đạt", "Below", (r, _) => r.LinksBelow),
        new("Chưa đủ mẫu", "Insufficient data", (r, _) => r.LinksInsufficient),
        new("Chưa khai báo tốc độ cam kết", "No advertised speed", (r, _) => r.LinksNoAdvertised),
    ];

    public static IReadOnlyList<ReportColumn<Qcvn34Result>> Qcvn34Links { get; } =
    [
        new("Thiết bị đo", "Probe", (r, _) => r.ProbeId),
        new("Đường truyền", "Link", (r, _) => r.Link),
        new("Nhà mạng", "Operator", (r, _) => r.Operator),
        new("Xã/phường", "Commune", (r, _) => r.CommuneCode),
        new("Tốc độ cam kết (Mb/s)", "Advertised (Mb/s)", (r, _) => r.AdvertisedDownloadMbps),
        new("Trung bình (Mb/s)", "Mean (Mb/s)", (r, _) => r.MeanDownloadMbps),
        new("Trung vị (Mb/s)", "Median (Mb/s)", (r, _) => r.MedianDownloadMbps),
        new("Trung bình / cam kết (%)", "Mean / advertised (%)", (r, _) => r.MeanPct),
        new("Trung vị / cam kết (%)", "Median / advertised (%)", (r, _) => r.MedianPct),
        new("80/80: tốc độ 80 % lần đo đạt / cam kết (%)", "80/80: speed 80 % of tests reach / advertised (%)", (r, _) => r.P80Of80Pct),
        new("Số mẫu", "Samples", (r, _) => r.Samples),
        new("Đánh giá QCVN 34", "QCVN 34 verdict", (r, l) => VerdictTexts.Status(r.Status, l)),
    ];

    public static IReadOnlyList<ReportColumn<SilentProbe>> Silent { get; } =
    [
        new("Thiết bị đo", "Probe", (r, _) => r.ProbeId),
        new("Xã/phường", "Commune", (r, _) => r.CommuneCode),
        new("Số kết quả", "Results", (r, _) => r.Results),
        new("Số kết quả dự kiến", "Expected", (r, _) => r.Expected),
        new("Dữ liệu cuối (giờ Việt Nam)", "Last data (Vietnam time)", (r, l) => r.LastResult is { } at ? VerdictTexts.Time(at) : l == Lang.Vi ? "chưa có" : "never"),
    ];

    /// <summary>The operators of each area × access × technology, best first (highest value; lowest for latency).</summary>
    public static List<RankedOperator> Rank(IEnumerable<ReportRow> rows) =>
        [.. rows.Where(r => r.Operator != ComplianceWindow.AllOperators)
            .GroupBy(r => (r.AreaKind, r.AreaCode, r.Access, r.Technology))
            .SelectMany(g => g
                .OrderBy(r => r.Value is null ? 1 : 0)
                .ThenBy(r => r.Metric == "latency" ? r.Value ?? 0 : -(r.Value ?? 0))
                .ThenBy(r => r.Operator, StringComparer.Ordinal)
                .Select((r, i) => new RankedOperator(r.AreaKind, r.AreaCode, r.AreaName, r.Access, r.Technology, i + 1, r.Operator, r.Metric, r.Statistic,
                    r.Weighting, r.Value, r.CiLow, r.CiHigh, r.BusyValue, r.Samples, r.Links, r.Status)))];
}
