using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Compliance.Estimation;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>Compliance statuses, as stored and shown.</summary>
internal static class ComplianceStatus
{
    /// <summary>The whole 95 % interval is on the good side of the threshold.</summary>
    public const string Met = "met";

    /// <summary>The whole 95 % interval is on the bad side of the threshold.</summary>
    public const string Below = "below";

    /// <summary>The interval straddles the threshold: the data cannot say.</summary>
    public const string Inconclusive = "inconclusive";
    public const string InsufficientData = "insufficient_data";
    public const string NoTarget = "no_target";
}

/// <summary>The windows a verdict is given over.</summary>
internal static class ComplianceWindow
{
    /// <summary>The last <see cref="ComplianceOptions.WindowDays"/> days (the alerts' window).</summary>
    public const string Rolling = "rolling";

    /// <summary>The calendar month so far, Vietnam time.</summary>
    public const string Month = "month";

    /// <summary>The busy hours (<see cref="ComplianceOptions.BusyHours"/>) of the rolling window.</summary>
    public const string Busy = "busy";

    /// <summary>The operator tag and column of the all-operator row.</summary>
    public const string AllOperators = "all";

    public static bool IsValid(string? window) => window is Rolling or Month or Busy;
}

/// <summary>A window to evaluate: its name, its span and whether only its busy hours count.</summary>
internal sealed record WindowSpec(string Name, DateTimeOffset From, DateTimeOffset To, bool BusyOnly);

/// <summary>
/// One area × access × operator (<c>all</c>, or one operator) × window (× technology when the target names one): the
/// value with its 95 % interval, the samples and probe links it comes from, and the status.
/// </summary>
internal sealed record AreaCompliance(
    string ProvinceCode, AreaKind AreaKind, string AreaCode, string AreaName, string Access, string Technology, string Operator, string Window,
    Target? Target, string Metric, string Statistic, string Weighting, Estimate Estimate, string Status, DateTimeOffset WindowStart, DateTimeOffset WindowEnd)
{
    public double? Value => Estimate.Value;

    public int Samples => (int)Math.Min(int.MaxValue, Estimate.Samples);

    /// <summary>
    /// The alert scope. A former district's all-operator row keeps the key <c>district/access/technology</c> of the district
    /// alerts before the reform (its code is the old district's), so a streak or an open alert carries over; other kinds
    /// are prefixed, operator rows suffixed.
    /// </summary>
    public string ScopeKey => (AreaKind == AreaKind.FormerDistrict ? string.Empty : AreaKind.ToName() + "/")
        + $"{AreaCode}/{Access}/{(Technology.Length == 0 ? "*" : Technology)}"
        + (Operator == ComplianceWindow.AllOperators ? string.Empty : "/" + Operator);

    /// <summary>The former district's code, for rows of that kind (the <c>district</c> tag and column).</summary>
    public string? DistrictCode => AreaKind == AreaKind.FormerDistrict ? AreaCode : null;

    /// <summary>Alerts follow the rolling window's rows whose target is about that row's operator (all, or the one named).</summary>
    public bool Alerting => Window == ComplianceWindow.Rolling && Target is not null
        && (Target.Operator ?? ComplianceWindow.AllOperators) == Operator;
}

/// <summary>
/// Evaluates areas of a province against the targets in force at the end of a window, from the probe links' summaries
/// over the window. A target applies to an area inside its scope (every commune of the area is in the target's area) and,
/// among several, the one with the smallest scope wins (a district's target over the province's), then the latest
/// start; an operator's row prefers a target naming that operator. A target that came into force inside the window is
/// applied from its start only. Every area × access gets the all-operator row and one row per operator measured there.
/// </summary>
internal sealed class ComplianceEvaluator(TargetStore targets, IOptions<ComplianceOptions> options)
{
    private static readonly string[] s_accesses = ["fixed", "mobile"];

    /// <summary>The targets of <paramref name="provinceCode"/> in force at the end of a window ending at <paramref name="to"/>.</summary>
    public async Task<List<Target>> InForceAsync(string provinceCode, DateTimeOffset to, CancellationToken cancellationToken) =>
        [.. (await targets.ListAsync(provinceCode, includeRetired: false, cancellationToken)).Where(t => t.InForceAt(to - TimeSpan.FromTicks(1)))];

    /// <summary>The members of every area of a province, by (kind, code), for target scopes.</summary>
    public static Dictionary<(string Kind, string Code), HashSet<string>> Scopes(IEnumerable<Area> areas) =>
        areas.ToDictionary(a => (a.Kind.ToName(), a.Code), a => a.Communes.ToHashSet(StringComparer.Ordinal));

    /// <summary>
    /// Evaluates <paramref name="evaluated"/> over <paramref name="window"/> from <paramref name="links"/> (whose commune is
    /// the current one); <paramref name="scopes"/> are the province's areas, for the targets' scopes.
    /// </summary>
    public List<AreaCompliance> Evaluate(
        string provinceCode, IEnumerable<Area> evaluated, IReadOnlyList<LinkHistory> links, IReadOnlyList<Target> inForce,
        IReadOnlyDictionary<(string Kind, string Code), HashSet<string>> scopes, WindowSpec window)
    {
        var byCommune = links.ToLookup(l => (l.Key.Commune, l.Key.Access));
        var cache = new Dictionary<(LinkHistory, DateTimeOffset), LinkSummary>();
        LinkSummary Over(LinkHistory link, DateTimeOffset from)
        {
            if (!cache.TryGetValue((link, from), out var summary))
            {
                cache[(link, from)] = summary = link.Window(from, window.To, window.BusyOnly);
            }

            return summary;
        }

        var rows = new List<AreaCompliance>();
        foreach (var area in evaluated)
        {
            foreach (var access in s_accesses)
            {
                var areaLinks = area.Communes.SelectMany(c => byCommune[(c, access)]).ToList();
                var inScope = inForce.Where(t => t.Access == access && scopes.TryGetValue(t.Scope, out var scope) && area.Communes.All(scope.Contains)).ToList();
                var operators = areaLinks.Select(l => l.Key.Operator).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
                foreach (var op in operators.Prepend(ComplianceWindow.AllOperators))
                {
                    var rowLinks = op == ComplianceWindow.AllOperators ? areaLinks : [.. areaLinks.Where(l => l.Key.Operator == op)];
                    var applicable = inScope
                        .Where(t => t.Operator is null || (op != ComplianceWindow.AllOperators && t.Operator == op))
                        .GroupBy(t => t.Technology ?? string.Empty)
                        .Select(g => g.OrderBy(t => t.Operator is null ? 1 : 0).ThenBy(t => scopes[t.Scope].Count).ThenByDescending(t => t.ValidFrom).First())
                        .ToList();
                    if (applicable.Count == 0)
                    {
                        // No plan names a speed here: the value still stands (download, mean, link-weighted) for the ranking.
                        var estimate = Estimate(provinceCode, area, access, string.Empty, op, window, "download", Statistic.Mean, Weighting.Link,
                            [.. rowLinks.Select(l => Over(l, window.From).Download)]);
                        rows.Add(new(provinceCode, area.Kind, area.Code, area.Name, access, string.Empty, op, window.Name, null, "download", "mean", "link",
                            estimate, ComplianceStatus.NoTarget, window.From, window.To));
                        continue;
                    }

                    foreach (var target in applicable)
                    {
                        var start = target.Start > window.From ? target.Start : window.From;
                        var statistic = Statistic.Parse(target.Statistic, target.ShareValue);
                        _ = Weightings.TryParse(target.Weighting, out var weighting);
                        var technology = target.Technology ?? string.Empty;
                        var values = rowLinks.Where(l => target.Technology is null || l.Key.Technology == target.Technology)
                            .Select(l => Over(l, start).Metric(target.Metric)).ToList();
                        var estimate = Estimate(provinceCode, area, access, technology, op, window, target.Metric, statistic, weighting, values);
                        rows.Add(new(provinceCode, area.Kind, area.Code, area.Name, access, technology, op, window.Name, target, target.Metric,
                            target.Statistic, weighting.ToName(), estimate, Judge(estimate, target, weighting), start, window.To));
                    }
                }
            }
        }

        return rows;
    }

    /// <summary>The status of an estimate against a target: met or below only when the whole 95 % interval says so.</summary>
    public string Judge(Estimate estimate, Target target, Weighting weighting)
    {
        if (estimate.Samples < options.Value.MinSamples || (weighting == Weighting.Link && estimate.Links < options.Value.MinLinks))
        {
            return ComplianceStatus.InsufficientData;
        }

        return Judge(estimate.Low, estimate.High, target);
    }

    /// <summary>The status of an interval against a target's threshold.</summary>
    public static string Judge(double? low, double? high, Target target)
    {
        if (low is not { } lo || high is not { } hi)
        {
            return ComplianceStatus.Inconclusive;
        }

        return target.LowerIsBetter
            ? hi <= target.Threshold ? ComplianceStatus.Met : lo > target.Threshold ? ComplianceStatus.Below : ComplianceStatus.Inconclusive
            : lo >= target.Threshold ? ComplianceStatus.Met : hi < target.Threshold ? ComplianceStatus.Below : ComplianceStatus.Inconclusive;
    }

    private Estimate Estimate(
        string province, Area area, string access, string technology, string op, WindowSpec window, string metric, Statistic statistic,
        Weighting weighting, IReadOnlyList<ValueSummary> values)
    {
        if (weighting == Weighting.Pooled)
        {
            return Estimators.Pooled(values, statistic);
        }

        // Seeded by the row's identity, not the hour: the same data give the same interval on every instance and run.
        var seed = SplitMix64.SeedOf($"{province}/{area.Kind.ToName()}/{area.Code}/{access}/{technology}/{op}/{window.Name}/{metric}/{statistic.Name}");
        return Estimators.LinkWeighted(values, statistic, options.Value.MinLinkSamples, options.Value.BootstrapResamples, seed);
    }
}
