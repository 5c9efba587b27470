using System.Globalization;
using HaTangSo.Telemetry.Server.Areas;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>The language of human-readable texts: Vietnamese first, English on request (<c>lang=en</c>).</summary>
public enum Lang
{
    /// <summary>Vietnamese (the default everywhere).</summary>
    Vi,

    /// <summary>English.</summary>
    En,
}

/// <summary>
/// Every human-readable text of the verdicts, in Vietnamese and English: statuses, access types, statistics, values
/// with their unit and interval, dates. Documents (pages, alert texts, charts) write numbers the Vietnamese way
/// (<c>150,5 Mb/s</c>, <c>1.234</c>); machine fields (JSON numbers, CSV cells, tags) stay invariant. Built by hand, not
/// from <c>CultureInfo("vi-VN")</c>: the server runs with invariant globalization, and the format must not depend on the
/// ICU data of the machine. Times are Vietnam time (UTC+7).
/// </summary>
public static class VerdictTexts
{
    /// <summary>Decimal comma, thousands dot.</summary>
    public static readonly NumberFormatInfo VietnameseNumbers = new() { NumberDecimalSeparator = ",", NumberGroupSeparator = ".", PercentDecimalSeparator = ",", PercentGroupSeparator = "." };

    /// <summary>Parses <c>vi</c> (default) or <c>en</c>; null for anything else.</summary>
    public static Lang? ParseLang(string? lang) => lang switch
    {
        null or "" or "vi" => Lang.Vi,
        "en" => Lang.En,
        _ => null,
    };

    /// <summary>A number for people: <c>150,5</c> in Vietnamese, <c>150.5</c> in English; <paramref name="format"/> is a .NET format.</summary>
    public static string Number(double value, Lang lang, string format = "#,##0.0") =>
        value.ToString(format, lang == Lang.Vi ? VietnameseNumbers : CultureInfo.InvariantCulture);

    /// <summary>A time for people, Vietnam time: <c>10/03/2026 07:00</c> (both languages; the English adds nothing to it).</summary>
    public static string Time(DateTimeOffset time) => time.ToOffset(VietnamTime.Offset).ToString("dd/MM/yyyy HH:mm", CultureInfo.InvariantCulture);

    /// <summary>A day for people: <c>10/03/2026</c>.</summary>
    public static string Day(DateTimeOffset time) => time.ToOffset(VietnamTime.Offset).ToString("dd/MM/yyyy", CultureInfo.InvariantCulture);

    /// <summary>A status for people (<c>Đạt</c>, <c>Không đạt</c>, ...).</summary>
    public static string Status(string status, Lang lang) => (status, lang) switch
    {
        (ComplianceStatus.Met, Lang.Vi) => "Đạt",
        (ComplianceStatus.Met, _) => "met",
        (ComplianceStatus.Below, Lang.Vi) => "Không đạt",
        (ComplianceStatus.Below, _) => "below target",
        (ComplianceStatus.Inconclusive, Lang.Vi) => "Chưa kết luận được",
        (ComplianceStatus.Inconclusive, _) => "inconclusive",
        (ComplianceStatus.InsufficientData, Lang.Vi) => "Chưa đủ mẫu",
        (ComplianceStatus.InsufficientData, _) => "insufficient data",
        (ComplianceStatus.NoTarget, Lang.Vi) => "Chưa có chỉ tiêu",
        (ComplianceStatus.NoTarget, _) => "no target",
        ("no_advertised_speed", Lang.Vi) => "Chưa khai báo tốc độ cam kết",
        ("no_advertised_speed", _) => "no advertised speed",
        _ => status,
    };

    /// <summary>The access type for people (<c>cố định</c>, <c>di động</c>).</summary>
    public static string Access(string access, Lang lang) => (access, lang) switch
    {
        ("fixed", Lang.Vi) => "cố định",
        ("mobile", Lang.Vi) => "di động",
        _ => access,
    };

    /// <summary>The metric for people (<c>tốc độ tải xuống</c>).</summary>
    public static string Metric(string? metric, Lang lang) => (metric, lang) switch
    {
        ("download", Lang.Vi) => "tốc độ tải xuống",
        ("upload", Lang.Vi) => "tốc độ tải lên",
        ("latency", Lang.Vi) => "độ trễ",
        ("download", _) => "download",
        ("upload", _) => "upload",
        ("latency", _) => "latency",
        _ => metric ?? string.Empty,
    };

    /// <summary>The statistic with its weighting: <c>trung bình theo đường truyền</c>, <c>mean per link</c>.</summary>
    public static string Statistic(string? statistic, string? weighting, Lang lang)
    {
        var name = (statistic, lang) switch
        {
            ("mean", Lang.Vi) => "trung bình",
            ("median", Lang.Vi) => "trung vị",
            ("share_at_least", Lang.Vi) => "tỷ lệ mẫu đạt",
            ("share_at_least", _) => "share of samples at least",
            (['p', ..], Lang.Vi) => "phân vị " + statistic[1..],
            (['p', ..], _) => "percentile " + statistic[1..],
            _ => statistic ?? string.Empty,
        };
        return (weighting, lang) switch
        {
            ("link", Lang.Vi) => name + " theo đường truyền",
            ("pooled", Lang.Vi) => name + " theo mẫu",
            ("link", _) => name + " per link",
            ("pooled", _) => name + " per sample",
            _ => name,
        };
    }

    /// <summary>The window's name for people.</summary>
    public static string Window(string window, Lang lang) => (window, lang) switch
    {
        (ComplianceWindow.Rolling, Lang.Vi) => "7 ngày gần nhất",
        (ComplianceWindow.Month, Lang.Vi) => "tháng",
        (ComplianceWindow.Busy, Lang.Vi) => "giờ cao điểm",
        (ComplianceWindow.Rolling, _) => "rolling window",
        (ComplianceWindow.Month, _) => "month",
        (ComplianceWindow.Busy, _) => "busy hours",
        _ => window,
    };

    /// <summary>The operator, or "all operators".</summary>
    public static string Operator(string op, Lang lang) => op == ComplianceWindow.AllOperators ? lang == Lang.Vi ? "mọi nhà mạng" : "all operators" : op;

    /// <summary>The kind of area for people.</summary>
    public static string AreaKind(string kind, Lang lang) => lang == Lang.Vi
        ? AreaKinds.TryParse(kind, out var parsed) ? parsed.Label() : kind
        : kind switch
        {
            "province" => "province",
            "former-province" => "former province (before 1 July 2025)",
            "former-district" => "former district (before 1 July 2025)",
            "commune" => "commune/ward",
            _ => "area",
        };

    /// <summary>The unit of a value: Mb/s, ms, or % for a share.</summary>
    public static string Unit(string? metric, string? statistic) => statistic == "share_at_least" ? "%" : metric == "latency" ? "ms" : "Mb/s";

    /// <summary>A value with its unit and interval: <c>100,2 Mb/s (95 %: 99,6–100,8)</c>.</summary>
    public static string Value(double? value, double? low, double? high, string? metric, string? statistic, Lang lang)
    {
        if (value is not { } v || !double.IsFinite(v))
        {
            return "—";
        }

        var unit = Unit(metric, statistic);
        var text = $"{Number(v, lang)} {unit}";
        return low is { } lo && high is { } hi && double.IsFinite(lo) && double.IsFinite(hi)
            ? $"{text} (95 %: {Number(lo, lang)}–{Number(hi, lang)})"
            : text;
    }

    /// <summary>The target: <c>trung bình theo đường truyền ≥ 150 Mb/s</c>, or that there is none.</summary>
    public static string Target(string? metric, string? statistic, string? weighting, double? threshold, Lang lang)
    {
        if (threshold is not { } t)
        {
            return Status(ComplianceStatus.NoTarget, lang);
        }

        var sign = metric == "latency" ? "≤" : "≥";
        return $"{Statistic(statistic, weighting, lang)} {sign} {Number(t, lang, "#,##0.#")} {Unit(metric, statistic)}";
    }

    /// <summary>The labels of a stored verdict in one language.</summary>
    public static ComplianceLabels Labels(ComplianceRecord record, Lang lang) => new(
        Status(record.Status, lang), Access(record.Access, lang), Statistic(record.Statistic, record.Weighting, lang),
        Value(record.Value, record.CiLow, record.CiHigh, record.Metric, record.Statistic, lang),
        Target(record.Metric, record.Statistic, record.Weighting, record.Threshold, lang),
        record.StatusSince is { } since ? Time(since) : null);
}
