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
