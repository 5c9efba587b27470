using HaTangSo.Telemetry.Server.Areas;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>Compliance statuses, as stored and shown.</summary>
internal static class ComplianceStatus
{
    public const string Met = "met";
    public const string Below = "below";
    public const string InsufficientData = "insufficient_data";
    public const string NoTarget = "no_target";
}

/// <summary>
/// One area × access (× technology) over one window. Issue 13 adds the statistic, weighting, operator and busy-hour
/// window next to <see cref="AreaKind"/> and <see cref="AreaCode"/>.
/// </summary>
internal sealed record AreaCompliance(
    string ProvinceCode, AreaKind AreaKind, string AreaCode, string AreaName, string Access, string Technology, Target? Target,
    double? Value, int Samples, string Status, DateTimeOffset WindowStart, DateTimeOffset WindowEnd)
{
    /// <summary>
    /// The alert scope. A former district keeps the key <c>district/access/technology</c> of the district alerts before
    /// the reform (its code is the old district's), so a streak or an open alert carries over; other kinds are prefixed.
    /// </summary>
    public string ScopeKey => (AreaKind == AreaKind.FormerDistrict ? string.Empty : AreaKind.ToName() + "/")
        + $"{AreaCode}/{Access}/{(Technology.Length == 0 ? "*" : Technology)}";

    /// <summary>The former district's code, for rows of that kind (the <c>district</c> tag and column).</summary>
    public string? DistrictCode => AreaKind == AreaKind.FormerDistrict ? AreaCode : null;
}

/// <summary>
/// Evaluates areas of a province against the targets in force at the end of a window. A target applies to an area
/// inside its scope (every commune of the area is in the target's area) and, among several, the one with the smallest
/// scope wins (a district's target over the province's), then the latest start. A target that came into force inside
/// the window is applied from its start only: earlier samples belong to the plan before it.
/// </summary>
internal sealed class ComplianceEvaluator(TargetStore targets, IOptions<ComplianceOptions> options)
{
    private static readonly string[] s_accesses = ["fixed", "mobile"];

    /// <summary>The targets of <paramref name="provinceCode"/> in force at the end of a window ending at <paramref name="to"/>.</summary>
    public async Task<List<Target>> InForceAsync(string provinceCode, DateTimeOffset to, CancellationToken cancellationToken) =>
        [.. (await targets.ListAsync(provinceCode, includeRetired: false, cancellationToken)).Where(t => t.InForceAt(to - TimeSpan.FromTicks(1)))];

    /// <summary>
    /// Evaluates <paramref name="evaluated"/> over <c>[from, to)</c> from <paramref name="samples"/> (whose
    /// <see cref="Sample.Commune"/> is the current commune); <paramref name="scopes"/> are the province's areas, for the
    /// targets' scopes.
    /// </summary>
    public List<AreaCompliance> Evaluate(
        string provinceCode, IEnumerable<Area> evaluated, IReadOnlyList<Sample> samples, IReadOnlyList<Target> inForce,
        IReadOnlyDictionary<(string Kind, string Code), HashSet<string>> scopes, DateTimeOffset from, DateTimeOffset to)
    {
        var byCommune = samples.ToLookup(s => (s.Commune, s.Access));
        var rows = new List<AreaCompliance>();
        foreach (var area in evaluated)
        {
            foreach (var access in s_accesses)
            {
                var areaSamples = area.Communes.SelectMany(c => byCommune[(c, access)]).ToList();
                var applicable = inForce
                    .Where(t => t.Access == access && scopes.TryGetValue(t.Scope, out var scope) && area.Communes.All(scope.Contains))
                    .GroupBy(t => t.Technology ?? string.Empty)
                    .Select(g => g.OrderBy(t => scopes[t.Scope].Count).ThenByDescending(t => t.ValidFrom).First())
                    .ToList();
                if (applicable.Count == 0)
                {
                    rows.Add(new(provinceCode, area.Kind, area.Code, area.Name, access, string.Empty, null, null, areaSamples.Count, ComplianceStatus.NoTarget, from, to));
                    continue;
                }

                foreach (var target in applicable)
                {
                    rows.Add(Evaluate(provinceCode, area, access, target, areaSamples, from, to));
                }
            }
        }

        return rows;
    }

    /// <summary>The members of every area of a province, by (kind, code), for target scopes.</summary>
    public static Dictionary<(string Kind, string Code), HashSet<string>> Scopes(IEnumerable<Area> areas) =>
        areas.ToDictionary(a => (a.Kind.ToName(), a.Code), a => a.Communes.ToHashSet(StringComparer.Ordinal));

    private AreaCompliance Evaluate(
        string provinceCode, Area area, string access, Target target, List<Sample> samples, DateTimeOffset from, DateTimeOffset to)
    {
        var start = target.Start > from ? target.Start : from;
        var startNs = ResultSamples.ToNs(start);
        var values = samples
            .Where(s => s.TimeNs >= startNs && (target.Technology is null || s.Technology == target.Technology))
            .Select(s => target.Metric switch { "download" => s.Download, "upload" => s.Upload, _ => s.Latency })
            .OfType<double>()
            .ToList();
        var technology = target.Technology ?? string.Empty;
        if (values.Count < options.Value.MinSamples)
        {
            return new(provinceCode, area.Kind, area.Code, area.Name, access, technology, target,
                SampleStatistics.Compute(values, target.Statistic, target.ShareValue), values.Count, ComplianceStatus.InsufficientData, start, to);
        }

        var value = SampleStatistics.Compute(values, target.Statistic, target.ShareValue)!.Value;
        return new(provinceCode, area.Kind, area.Code, area.Name, access, technology, target, value, values.Count,
            target.IsMet(value) ? ComplianceStatus.Met : ComplianceStatus.Below, start, to);
    }
}
