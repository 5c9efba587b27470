using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>How compliance is evaluated, bound from <c>Compliance</c>.</summary>
public sealed class ComplianceOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Compliance";

    /// <summary>Length of the rolling window, in days (default 7).</summary>
    [Range(1, 90)]
    public int WindowDays { get; set; } = 7;

    /// <summary>
    /// Fewer samples than this in a window gives <c>insufficient_data</c> instead of a verdict (default 200;
    /// QCVN 34:2022 asks for 1,000 samples for an operator-level measurement).
    /// </summary>
    [Range(1, 1_000_000)]
    public int MinSamples { get; set; } = 200;

    /// <summary>Samples a probe link needs over the window before the QCVN 34 rule judges it (default 20).</summary>
    [Range(1, 1_000_000)]
    public int Qcvn34MinSamples { get; set; } = 20;

    /// <summary>The QCVN 34:2022/BTTTT ratio: mean download at least this share of the advertised speed.</summary>
    [Range(0.01, 1)]
    public double Qcvn34Ratio { get; set; } = 0.8;

    /// <summary>Hours of rollups one run may catch up (default 72): the rest waits for the next run.</summary>
    [Range(1, 24 * 90)]
    public int RollupCatchUpHours { get; set; } = 72;

    /// <summary>
    /// The kinds of area evaluated in every province, comma-separated (default <c>former-district,commune</c>: "a district
    /// below target" keeps its meaning, and each 2025 commune is judged too). Also <c>province</c>, <c>former-province</c>,
    /// <c>custom</c>; the province and former provinces hold a whole province's window in memory.
    /// </summary>
    [RegularExpression(KindsPattern, ErrorMessage = "Compliance:EvaluationLevels must be a comma-separated list of province, former-province, former-district, commune, custom.")]
    public string EvaluationLevels { get; set; } = "former-district,commune";

    /// <summary>Per-province replacement of <see cref="EvaluationLevels"/> (<c>Compliance:ProvinceLevels:42=province,former-district</c>).</summary>
    public Dictionary<string, string> ProvinceLevels { get; } = new(StringComparer.Ordinal);

    internal const string KindsPattern = "^(province|former-province|former-district|commune|custom)(,(province|former-province|former-district|commune|custom))*$";

    /// <summary>The kinds evaluated in <paramref name="provinceCode"/>.</summary>
    public IReadOnlySet<Areas.AreaKind> KindsFor(string provinceCode) =>
        (ProvinceLevels.TryGetValue(provinceCode, out var levels) ? levels : EvaluationLevels)
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(k => Areas.AreaKinds.TryParse(k, out var kind) ? kind : throw new OptionsValidationException(
                SectionName, typeof(ComplianceOptions), [$"Compliance:ProvinceLevels:{provinceCode} '{levels}': unknown area kind '{k}'"]))
            .ToHashSet();

    /// <summary>
    /// The busy hours, Vietnam time, as <c>start-end</c> whole hours (default <c>19-23</c>: 19:00 to 23:00, FCC Measuring
    /// Broadband America's peak period); the <c>busy</c> window is these hours of the rolling window. <c>22-2</c> wraps
    /// past midnight. Whole hours because the link summaries are hourly; after a change, the daily link summaries
    /// already written keep the old hours until they are rolled up again.
    /// </summary>
    [RegularExpression(@"^([01]?[0-9]|2[0-3])-([01]?[0-9]|2[0-4])$", ErrorMessage = "Compliance:BusyHours must be start-end in whole hours, e.g. 19-23.")]
    public string BusyHours { get; set; } = "19-23";

    /// <summary>Bootstrap resamples of the link-weighted interval (default 1,000).</summary>
    [Range(100, 100_000)]
    public int BootstrapResamples { get; set; } = 1000;

    /// <summary>Samples a probe link needs in a window to count in a link-weighted value (default 3).</summary>
    [Range(1, 1_000_000)]
    public int MinLinkSamples { get; set; } = 3;

    /// <summary>Probe links a link-weighted verdict needs; fewer gives <c>insufficient_data</c> (default 1).</summary>
    [Range(1, 1_000_000)]
    public int MinLinks { get; set; } = 1;

    /// <summary>
    /// Where windows come from: <c>Summaries</c> (default: the per-link daily and hourly summaries the rollups write,
    /// raw results only for what they do not cover yet) or <c>Raw</c> (every raw result of the window, exact quantiles:
    /// for checks and benchmarks).
    /// </summary>
    public SummarySource Source { get; set; } = SummarySource.Summaries;

    /// <summary>The busy hours as a start and end hour.</summary>
    internal (int Start, int End) BusyRange
    {
        get
        {
            var parts = BusyHours.Split('-');
            return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) % 24);
        }
    }

    /// <summary>Whether the hour starting at <paramref name="hourStart"/> is a busy hour (Vietnam time).</summary>
    internal bool IsBusy(DateTimeOffset hourStart)
    {
        var (start, end) = BusyRange;
        var hour = hourStart.ToOffset(VietnamTime.Offset).Hour;
        return start < end ? hour >= start && hour < end : hour >= start || hour < end;
    }

    /// <summary>Seed the plans' targets (BRIEF.md) into an empty target table when no file is given (default true).</summary>
    public bool SeedTargets { get; set; } = true;

    /// <summary>
    /// A JSON file of targets loaded at every start-up (a target with the same scope, metric, statistic and start
    /// updates the stored one; others are added). Empty: none.
    /// </summary>
    public string? TargetsFile { get; set; }
}

/// <summary>Where compliance windows are read from.</summary>
public enum SummarySource
{
    /// <summary>The per-link summaries (and raw results for the hours they do not cover yet).</summary>
    Summaries,

    /// <summary>Every raw result of the window.</summary>
    Raw,
}

/// <summary>Validates <see cref="ComplianceOptions"/> at start-up.</summary>
[OptionsValidator]
internal sealed partial class ComplianceOptionsValidator : IValidateOptions<ComplianceOptions>;
