using System.Globalization;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.InfluxDb;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>One measured result, as the jobs need it.</summary>
internal readonly record struct Sample(
    long TimeNs, string District, string Commune, string Access, string Technology, string Operator, string Probe, string Link,
    double? Download, double? Upload, double? Latency);

/// <summary>
/// Reads raw results of a set of communes and a time range from the <c>speedtest</c> measurement. The jobs compute
/// their statistics from these in C#, so the same code serves InfluxDB 1.x, 2.x and 3.x (no continuous
/// queries, no SELECT INTO). Only results with status ok or partial count, and not those the probe flagged
/// <c>cpu_bound</c> (it could not keep up with the link for want of a CPU: the figures may understate the link; they stay
/// in InfluxDB, unquarantined, and out of every verdict, rollup and summary). Points are selected by their
/// <c>commune</c> tag (the current codes and the older ones the crosswalk leads into them, whatever province tag they
/// were written with) and each sample's <see cref="Sample.Commune"/> is the current commune
/// (<see cref="Areas.CommuneResolver"/>): raw points are never rewritten. A sample's technology is the one it counts
/// under (<see cref="CountedTechnology"/>): a 5G link's results measured on LTE count as <c>4g</c>. Results against a
/// server registered as <see cref="Registry.ServerRole.Confirmation"/> (off-net) never count: they only confirm.
/// </summary>
internal sealed class ResultSamples(InfluxDbClient influx, Registry.SpeedTestServerStore servers)
{
    private const string Tags = "district, commune, access, technology, \"operator\", probe, link, radio_technology";

    /// <summary>
    /// The samples of the current <paramref name="communes"/> with <c>from &lt;= time &lt; to</c>, read a day at a time
    /// so no single response (parsed whole) grows with the window. Results flagged <c>cpu_bound</c> are left out, or
    /// put in <paramref name="cpuBound"/> when given (the rollups count them so an operator sees how many were left out).
    /// </summary>
    public async Task<List<Sample>> ReadAsync(
        IReadOnlyCollection<string> communes, Areas.CommuneResolver resolver, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken,
        List<Sample>? cpuBound = null)
    {
        var samples = new List<Sample>();
        if (communes.Count == 0)
        {
            return samples;
        }

        var wanted = communes.ToHashSet(StringComparer.Ordinal);
        var leftOut = new List<Sample>();
        // Codes are digits only (NameRules.RegionCode on import), so they need no escaping inside the regex.
        var filter = $"commune =~ /^({string.Join('|', resolver.TagsOf(communes))})$/"
            + ExcludingServers(await servers.ConfirmationIdsAsync(cancellationToken));
        for (var start = from; start < to; start += TimeSpan.FromDays(1))
        {
            var end = start + TimeSpan.FromDays(1) < to ? start + TimeSpan.FromDays(1) : to;
            await ReadAsync(filter, start, end, samples, leftOut, cancellationToken);
        }

        cpuBound?.AddRange(Place(leftOut, resolver, wanted));
        return Place(samples, resolver, wanted);
    }

    /// <summary>
    /// The clause leaving out results against <paramref name="serverIds"/> (none: empty). Server ids are
    /// <c>[a-z0-9._-]</c> (NameRules.ServerId and the table's check); the dot is escaped for the regex.
    /// </summary>
    internal static string ExcludingServers(IReadOnlyList<string> serverIds) => serverIds.Count == 0
        ? string.Empty
        : $" AND server !~ /^({string.Join('|', serverIds.Select(id => id.Replace(".", "\\.", StringComparison.Ordinal)))})$/";

    // Each sample counts in its current commune; an old code split between communes goes to one of them only.
    private static List<Sample> Place(List<Sample> samples, Areas.CommuneResolver resolver, HashSet<string> wanted)
    {
        var placed = new List<Sample>(samples.Count);
        foreach (var sample in samples)
        {
            if (resolver.Resolve(sample.Commune, sample.Probe) is { } commune && wanted.Contains(commune))
            {
                placed.Add(sample with { Commune = commune });
            }
        }

        return placed;
    }

    /// <summary>
    /// The current communes among <paramref name="communes"/> with at least one result in <c>[from, to)</c>: one
    /// query, so the jobs skip the read units of a province (or a whole province) where nothing was measured.
    /// </summary>
    public async Task<HashSet<string>> CommunesWithDataAsync(
        IReadOnlyCollection<string> communes, Areas.CommuneResolver resolver, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (communes.Count == 0 || from >= to)
        {
            return found;
        }

        var query = $"""
            SELECT count("duration_ms") FROM speedtest WHERE commune =~ /^({string.Join('|', resolver.TagsOf(communes))})$/
              AND time >= {InfluxQl.Time(from)} AND time < {InfluxQl.Time(to)} GROUP BY "commune", "probe"
            """;
        foreach (var statement in await influx.QueryAsync(query, cancellationToken))
        {
            foreach (var series in statement.Series ?? [])
            {
                var tags = series.Tags ?? new Dictionary<string, string>();
                if (resolver.Resolve(tags.GetValueOrDefault("commune", string.Empty), tags.GetValueOrDefault("probe", string.Empty)) is { } commune)
                {
                    found.Add(commune);
                }
            }
        }

        return found;
    }

    private async Task ReadAsync(
        string filter, DateTimeOffset from, DateTimeOffset to, List<Sample> samples, List<Sample> cpuBound, CancellationToken cancellationToken)
    {
        var query = $"""
            SELECT download_mbps, upload_mbps, latency_ms, cpu_bound FROM speedtest
            WHERE {filter} AND time >= {InfluxQl.Time(from)} AND time < {InfluxQl.Time(to)}
              AND (status = 'ok' OR status = 'partial')
            GROUP BY {Tags}
            """;
        foreach (var statement in await influx.QueryAsync(query, cancellationToken))
        {
            foreach (var series in statement.Series ?? [])
            {
                var tags = series.Tags ?? new Dictionary<string, string>();
                string Tag(string key) => tags.TryGetValue(key, out var value) ? value : string.Empty;
                var (district, commune, access, op, probe, link) =
                    (Tag("district"), Tag("commune"), Tag("access"), Tag("operator"), Tag("probe"), Tag("link"));
                var technology = CountedTechnology(Tag("technology"), Tag("radio_technology"));
                var columns = series.Columns;
                int Index(string name)
                {
                    for (var i = 0; i < columns.Count; i++)
                    {
                        if (columns[i] == name)
                        {
                            return i;
                        }
                    }

                    return -1;
                }

                var (time, down, up, latency) = (Index("time"), Index("download_mbps"), Index("upload_mbps"), Index("latency_ms"));
                var cpuBoundColumn = Index("cpu_bound");
                foreach (var row in series.Values ?? [])
                {
                    // Filtered here, not in the WHERE clause: InfluxQL drops every point without the field from
                    // "cpu_bound != true", and the field is written only when true.
                    var flagged = cpuBoundColumn >= 0 && cpuBoundColumn < row.Count && row[cpuBoundColumn].ValueKind == JsonValueKind.True;
                    (flagged ? cpuBound : samples).Add(new Sample(
                        row[time].GetInt64(), district, commune, access, technology, op, probe, link,
                        Number(row, down), Number(row, up), Number(row, latency)));
                }
            }
        }
    }

    /// <summary>
    /// The technology a result counts under. A link registered as 5G (<c>5g</c>, <c>5g-sa</c>...) whose modem said the
    /// test ran on something else counts as that generation (<c>4g</c> for LTE, <c>3g</c>, <c>2g</c>, or <c>other</c>),
    /// so a "5g" target counts only results actually measured on 5G. Without radio facts (a probe not bound to its modem,
    /// ModemManager absent, older probes) the registered technology stands, as before radio facts existed.
    /// </summary>
    public static string CountedTechnology(string registered, string radioTechnology)
    {
        if (radioTechnology.Length == 0 || RadioTechnology.Is5G(radioTechnology) || !registered.StartsWith("5g", StringComparison.Ordinal))
        {
            return registered;
        }

        return RadioTechnology.Generation(radioTechnology) ?? RadioTechnology.Other;
    }

    private static double? Number(IReadOnlyList<JsonElement> row, int index) =>
        index >= 0 && index < row.Count && row[index].ValueKind == JsonValueKind.Number ? row[index].GetDouble() : null;

    /// <summary>Nanoseconds since the epoch (the adapter queries with <c>epoch=ns</c>).</summary>
    public static long ToNs(DateTimeOffset time) => (time.ToUnixTimeMilliseconds() * 1_000_000) + (time.Ticks % TimeSpan.TicksPerMillisecond * 100);

    /// <summary>For messages.</summary>
    public static string Day(DateTimeOffset time) => time.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
