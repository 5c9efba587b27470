using System.Collections.Frozen;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Areas;

/// <summary>
/// Maps the <c>commune</c> tag of a stored point to a current commune, at evaluation time: a current code stands for
/// itself; an older code follows the crosswalk (for an old commune split between several, the probe's own commune when
/// it is one of them, else the crosswalk's coded row). Raw points are never rewritten: a new catalogue or an area
/// change re-projects history through this map. Built once per job run.
/// </summary>
internal sealed class CommuneResolver
{
    private readonly FrozenSet<string> _current;
    private readonly FrozenDictionary<string, string[]> _aliases;
    private readonly FrozenDictionary<string, string[]> _tagsOf;
    private readonly FrozenDictionary<string, string> _probeCommune;

    private CommuneResolver(HashSet<string> current, Dictionary<string, List<string>> aliases, Dictionary<string, string> probes)
    {
        _current = current.ToFrozenSet(StringComparer.Ordinal);
        _aliases = aliases.ToFrozenDictionary(a => a.Key, a => a.Value.ToArray(), StringComparer.Ordinal);
        _probeCommune = probes.ToFrozenDictionary(StringComparer.Ordinal);
        var tags = current.ToDictionary(c => c, c => new List<string> { c }, StringComparer.Ordinal);
        foreach (var (old, targets) in aliases)
        {
            foreach (var target in targets)
            {
                tags[target].Add(old);
            }
        }

        _tagsOf = tags.ToFrozenDictionary(t => t.Key, t => t.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>The current commune of a point tagged <paramref name="tag"/> from <paramref name="probe"/>, or null.</summary>
    public string? Resolve(string tag, string probe)
    {
        if (_current.Contains(tag))
        {
            return tag;
        }

        if (!_aliases.TryGetValue(tag, out var targets))
        {
            return null;
        }

        return targets.Length > 1 && _probeCommune.TryGetValue(probe, out var own) && targets.Contains(own) ? own : targets[0];
    }

    /// <summary>Every tag value whose points may belong to <paramref name="communes"/> (their codes and the old codes into them).</summary>
    public IReadOnlyList<string> TagsOf(IEnumerable<string> communes) =>
        [.. communes.SelectMany(c => _tagsOf.TryGetValue(c, out var tags) ? tags : [c]).Distinct(StringComparer.Ordinal)];

    /// <summary>Reads the current communes, the crosswalk into them and the probes' communes.</summary>
    public static async Task<CommuneResolver> LoadAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var current = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("SELECT code FROM communes"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                current.Add(reader.GetString(0));
            }
        }

        // Every older commune code and where the crosswalk (followed to the current version) takes it.
        var aliases = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("""
            SELECT o.code, t.new_code FROM (SELECT DISTINCT old_code AS code, from_version FROM commune_crosswalk WHERE status IN ('exact', 'by-name')) o
            CROSS JOIN LATERAL hts_translate_commune(o.code, o.from_version) t
            ORDER BY o.code, t.exact DESC, t.new_code
            """))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var (old, target) = (reader.GetString(0), reader.GetString(1));
                if (current.Contains(old) || !current.Contains(target))
                {
                    continue; // a current code stands for itself
                }

                if (!aliases.TryGetValue(old, out var list))
                {
                    aliases[old] = list = [];
                }

                if (!list.Contains(target))
                {
                    list.Add(target);
                }
            }
        }

        var probes = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("SELECT id, commune_code FROM probes"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                probes[reader.GetString(0)] = reader.GetString(1);
            }
        }

        return new CommuneResolver(current, aliases, probes);
    }
}
