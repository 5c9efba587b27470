using HaTangSo.Telemetry.InfluxDb;

namespace HaTangSo.Telemetry.Server.Areas;

/// <summary>
/// Keeps the <c>area_membership</c> measurement (one series per area × commune: tags <c>province</c>,
/// <c>area_kind</c>, <c>area</c>, <c>commune</c>; fields <c>member</c>, <c>area_name</c>) equal to the registry, for
/// Grafana's variables (province → kind of area → area → communes). Written only when the province's membership
/// changed: the old series are dropped first, so a commune moved to another area leaves no stale choice behind.
/// </summary>
internal sealed class AreaMembershipPoints(InfluxDbClient influx, TimeProvider time)
{
    /// <summary>Rewrites the province's series when they differ from <paramref name="areas"/>; returns whether it did.</summary>
    public async Task<bool> SyncAsync(string provinceCode, IReadOnlyList<Area> areas, CancellationToken cancellationToken)
    {
        var wanted = areas.SelectMany(a => a.Communes.Select(c => $"{a.Kind.ToName()}|{a.Code}|{c}")).ToHashSet(StringComparer.Ordinal);
        var present = new HashSet<string>(StringComparer.Ordinal);
        var province = InfluxQl.QuoteString(provinceCode);
        foreach (var statement in await influx.QueryAsync($"SELECT last(\"member\") FROM \"area_membership\" WHERE \"province\" = {province} GROUP BY \"area_kind\", \"area\", \"commune\"", cancellationToken))
        {
            foreach (var series in statement.Series ?? [])
            {
                var tags = series.Tags ?? new Dictionary<string, string>();
                present.Add($"{tags.GetValueOrDefault("area_kind")}|{tags.GetValueOrDefault("area")}|{tags.GetValueOrDefault("commune")}");
            }
        }

        if (present.SetEquals(wanted))
        {
            return false;
        }

        if (present.Count > 0)
        {
            await influx.QueryAsync($"DROP SERIES FROM \"area_membership\" WHERE \"province\" = {province}", cancellationToken);
        }

        var lines = new LineBuilder(64 * 1024);
        var timestamp = WritePrecision.Seconds.ToTimestamp(time.GetUtcNow());
        foreach (var area in areas)
        {
            foreach (var commune in area.Communes)
            {
                lines.Measurement("area_membership").Tag("province", provinceCode).Tag("area_kind", area.Kind.ToName()).Tag("area", area.Code)
                    .Tag("commune", commune).Field("member", 1L).Field("area_name", area.Name).Timestamp(timestamp);
            }
        }

        if (lines.Count > 0)
        {
            await influx.WriteAsync(lines.ToString(), WritePrecision.Seconds, cancellationToken);
        }

        return true;
    }
}
