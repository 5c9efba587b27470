using System.Security.Cryptography;
using System.Text;

namespace HaTangSo.Telemetry.Server.Fleet.Rollouts;

/// <summary>
/// How far one wave reaches, cumulatively: the first <see cref="Percent"/> % of the ordered probes (rounded up, so a
/// non-zero share of a small fleet is at least one probe), or the first <see cref="Count"/> probes. Exactly one is set.
/// </summary>
/// <param name="Percent">A share of the scope, above 0 and at most 100.</param>
/// <param name="Count">A number of probes, at least 1.</param>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record WaveSpec(double? Percent = null, int? Count = null)
{
    /// <summary>The default waves: a 5 % canary, then 25 %, then everyone.</summary>
    public static IReadOnlyList<WaveSpec> Default { get; } = [new(5), new(25), new(100)];

    /// <summary>How many of <paramref name="total"/> ordered probes this wave and the ones before it reach.</summary>
    public int Reach(int total) => Count is { } count
        ? Math.Min(count, total)
        : (int)Math.Min(total, Math.Ceiling(Math.Round(total * (Percent ?? 100) / 100.0, 9)));
}

/// <summary>
/// Which probe goes in which wave. The order is deterministic and spread: by the SHA-256 of the release version and the
/// probe id, so the same request plans the same waves, neighbouring probe ids (one commune's boxes, one installer's batch)
/// do not all land in the canary, and the next release picks other canaries. Waves that would be empty are dropped.
/// </summary>
public static class WavePlanner
{
    /// <summary>The probes in roll-out order.</summary>
    public static IReadOnlyList<string> Order(IEnumerable<string> probeIds, string version) =>
        probeIds.Distinct(StringComparer.Ordinal)
            .Select(id => (Id: id, Key: Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(version + "\n" + id)))))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Id, StringComparer.Ordinal)
            .Select(p => p.Id).ToArray();

    /// <summary>
    /// The waves, each a list of probe ids in order: every probe in exactly one wave, the cumulative reach never falling,
    /// the last wave reaching everyone (whatever the last spec says: nobody in scope is left out).
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<string>> Plan(IEnumerable<string> probeIds, IReadOnlyList<WaveSpec> waves, string version)
    {
        var ordered = Order(probeIds, version);
        var plan = new List<IReadOnlyList<string>>();
        var reached = 0;
        for (var i = 0; i < waves.Count; i++)
        {
            var reach = i == waves.Count - 1 ? ordered.Count : Math.Max(reached, waves[i].Reach(ordered.Count));
            if (reach > reached)
            {
                plan.Add(ordered.Skip(reached).Take(reach - reached).ToArray());
                reached = reach;
            }
        }

        return plan;
    }
}
