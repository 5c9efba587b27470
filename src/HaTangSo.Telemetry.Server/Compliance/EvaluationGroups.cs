using HaTangSo.Telemetry.Server.Areas;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>
/// Splits a province's evaluation into reads whose memory is bounded by one area: each former district is read once and
/// evaluated together with its communes (former districts partition the communes); communes with no former district
/// (the special zones) are read together; every other evaluated area (the province, a former province, a custom
/// area: only when configured) is read on its own.
/// </summary>
internal static class EvaluationGroups
{
    /// <summary>The reads: which communes to read and which areas to evaluate from them.</summary>
    public static IEnumerable<(IReadOnlyList<string> Communes, List<Area> Areas)> Plan(IReadOnlyList<Area> provinceAreas, IReadOnlySet<AreaKind> kinds)
    {
        var communes = provinceAreas.Where(a => a.Kind == AreaKind.Commune).ToDictionary(a => a.Code, StringComparer.Ordinal);
        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var district in provinceAreas.Where(a => a.Kind == AreaKind.FormerDistrict))
        {
            covered.UnionWith(district.Communes);
            var areas = new List<Area>();
            if (kinds.Contains(AreaKind.FormerDistrict))
            {
                areas.Add(district);
            }

            if (kinds.Contains(AreaKind.Commune))
            {
                areas.AddRange(district.Communes.Where(communes.ContainsKey).Select(c => communes[c]));
            }

            if (areas.Count > 0)
            {
                yield return (district.Communes, areas);
            }
        }

        var rest = communes.Keys.Where(c => !covered.Contains(c)).Order(StringComparer.Ordinal).ToList();
        if (kinds.Contains(AreaKind.Commune) && rest.Count > 0)
        {
            yield return (rest, [.. rest.Select(c => communes[c])]);
        }

        foreach (var area in provinceAreas.Where(a => a.Kind is not (AreaKind.FormerDistrict or AreaKind.Commune) && kinds.Contains(a.Kind)))
        {
            yield return (area.Communes, [area]);
        }
    }
}
