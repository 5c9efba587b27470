using System.Globalization;

namespace HaTangSo.Telemetry.Server.Compliance.Estimation;

/// <summary>What a target's statistic is, parsed once from its name (<c>mean</c>, <c>median</c>, <c>pNN</c>, <c>share_at_least</c>).</summary>
internal enum StatisticKind
{
    Mean,
    Percentile,
    ShareAtLeast,
}

/// <summary>How samples are weighted: every probe link once (<see cref="Link"/>) or every sample once (<see cref="Pooled"/>).</summary>
internal enum Weighting
{
    Link,
    Pooled,
}

/// <summary>A statistic with its parameter: the percentile, or the value a sample must reach.</summary>
/// <param name="Kind">Mean, percentile or share.</param>
/// <param name="Percent">For a percentile: 1..99 (the median is 50).</param>
/// <param name="ShareValue">For a share: the value a sample must reach.</param>
/// <param name="Name">The name as stored (<c>mean</c>, <c>median</c>, <c>p10</c>, <c>share_at_least</c>).</param>
internal readonly record struct Statistic(StatisticKind Kind, double Percent, double ShareValue, string Name)
{
    public static Statistic Mean { get; } = new(StatisticKind.Mean, 0, 0, "mean");

    /// <summary>Parses a stored name; throws for an unknown one (targets are validated before they are stored).</summary>
    public static Statistic Parse(string name, double? shareValue) => name switch
    {
        "mean" => Mean,
        "median" => new(StatisticKind.Percentile, 50, 0, name),
        "share_at_least" when shareValue is { } share => new(StatisticKind.ShareAtLeast, 0, share, name),
        _ when name.Length is 2 or 3 && name[0] == 'p' && int.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 100
            => new(StatisticKind.Percentile, p, 0, name),
        _ => throw new ArgumentException($"Unknown statistic '{name}'.", nameof(name)),
    };

    /// <summary>The statistic of one set of values.</summary>
    public double Of(ValueSummary values) => Kind switch
    {
        StatisticKind.Mean => values.Mean,
        StatisticKind.Percentile => values.Percentile(Percent),
        _ => values.ShareAtLeast(ShareValue),
    };
}

/// <summary>Names of <see cref="Weighting"/>.</summary>
internal static class Weightings
{
    public static string ToName(this Weighting weighting) => weighting == Weighting.Pooled ? "pooled" : "link";

    public static bool TryParse(string? name, out Weighting weighting)
    {
        weighting = name == "pooled" ? Weighting.Pooled : Weighting.Link;
        return name is "link" or "pooled";
    }
}
