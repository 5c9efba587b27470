using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Compliance;

namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>
/// The texts of compliance alerts, as the webhook and the e-mail carry them: Vietnamese first (the area's Vietnamese
/// name and kind, the value with its 95 % interval, the target, since when, Vietnamese number and date formats), and the
/// same in English beside it.
/// </summary>
internal static class AlertTexts
{
    /// <summary>The Vietnamese and English texts of an area below its target.</summary>
    public static (string Vi, string En) Below(AreaCompliance row, int streak, DateTimeOffset? since) =>
        (Text(row, streak, since, Lang.Vi), Text(row, streak, since, Lang.En));

    /// <summary>
    /// The sentence an alert gains from its confirmation round (Vietnamese, English): the off-net server's value from how
    /// many results and whether it meets the target too, or that nothing arrived before the deadline.
    /// </summary>
    public static (string Vi, string En) Confirmation(AreaCompliance row, Confirmation.ConfirmationFinding finding, string serverName, DateTimeOffset deadline) =>
        (ConfirmationText(row, finding, serverName, deadline, Lang.Vi), ConfirmationText(row, finding, serverName, deadline, Lang.En));

    private static string ConfirmationText(AreaCompliance row, Confirmation.ConfirmationFinding finding, string serverName, DateTimeOffset deadline, Lang lang)
    {
        if (finding.Results == 0 || finding.Value is not { } value)
        {
            return lang == Lang.Vi
                ? $"Đo xác nhận qua máy chủ ngoài mạng {serverName}: không có kết quả trước {VerdictTexts.Time(deadline)}."
                : $"Confirmation against the off-net server {serverName}: no result before {VerdictTexts.Time(deadline)}.";
        }

        var shown = VerdictTexts.Value(value, null, null, row.Metric, row.Statistic, lang);
        var count = VerdictTexts.Number(finding.Results, lang, "#,##0");
        return (lang, finding.Met == true) switch
        {
            (Lang.Vi, false) => $"Đo xác nhận qua máy chủ ngoài mạng {serverName}: {shown} từ {count} kết quả — cũng dưới chỉ tiêu.",
            (Lang.Vi, true) => $"Đo xác nhận qua máy chủ ngoài mạng {serverName}: {shown} từ {count} kết quả — đạt chỉ tiêu: chỗ chậm có thể nằm trên "
                + "đường tới máy chủ chính, không phải ở mạng truy nhập.",
            (_, false) => $"Confirmation against the off-net server {serverName}: {shown} from {count} results — also below the target.",
            _ => $"Confirmation against the off-net server {serverName}: {shown} from {count} results — meets the target: the shortfall may lie on "
                + "the path to the primary server rather than in the access network.",
        };
    }

    private static string Text(AreaCompliance row, int streak, DateTimeOffset? since, Lang lang)
    {
        var target = row.Target!;
        var value = VerdictTexts.Value(row.Estimate.Value, row.Estimate.Low, row.Estimate.High, row.Metric, row.Statistic, lang);
        var goal = VerdictTexts.Target(row.Metric, row.Statistic, row.Weighting, target.Threshold, lang);
        var access = VerdictTexts.Access(row.Access, lang) + (row.Technology.Length > 0 ? " " + row.Technology : string.Empty);
        var op = VerdictTexts.Operator(row.Operator, lang);
        var kind = VerdictTexts.AreaKind(row.AreaKind.ToName(), lang);
        var when = since is { } s ? VerdictTexts.Time(s) : VerdictTexts.Time(row.WindowEnd);
        var samples = VerdictTexts.Number(row.Estimate.Samples, lang, "#,##0");
        return lang == Lang.Vi
            ? $"{row.AreaName} ({kind} {row.AreaCode}): băng rộng {access}, {op} — {VerdictTexts.Metric(row.Metric, lang)} {value}, dưới chỉ tiêu {goal} "
              + $"từ {when} (giờ Việt Nam), {streak} lần đánh giá liên tiếp; {samples} mẫu, {row.Estimate.Links} đường truyền; {target.Source}"
            : $"{row.AreaName} ({kind} {row.AreaCode}): {access} broadband, {op} — {VerdictTexts.Metric(row.Metric, lang)} {value}, below the target {goal} "
              + $"since {when} (Vietnam time), {streak} evaluations in a row; {samples} samples, {row.Estimate.Links} links; {target.Source}";
    }
}
