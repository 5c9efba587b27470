namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>
/// The statistics a target can name. Percentiles use linear interpolation between closest ranks (the
/// "R-7" / NumPy default / Excel PERCENTILE.INC method); the median is the 50th percentile.
/// </summary>
internal static class SampleStatistics
{
    /// <summary>The statistic of <paramref name="values"/>; null without values.</summary>
    /// <param name="values">The samples (sorted in place).</param>
    /// <param name="statistic"><c>mean</c>, <c>median</c>, <c>pNN</c> or <c>share_at_least</c>.</param>
    /// <param name="shareValue">For <c>share_at_least</c>: the value a sample must reach; the result is a percentage.</param>
    public static double? Compute(List<double> values, string statistic, double? shareValue = null)
    {
        if (values.Count == 0)
        {
            return null;
        }

        return statistic switch
        {
            "mean" => values.Average(),
            "median" => Percentile(values, 50),
            "share_at_least" => 100.0 * values.Count(v => v >= shareValue!.Value) / values.Count,
            _ when statistic.StartsWith('p') && int.TryParse(statistic.AsSpan(1), out var p) => Percentile(values, p),
            _ => throw new ArgumentException($"Unknown statistic '{statistic}'.", nameof(statistic)),
        };
    }

    /// <summary>The <paramref name="percent"/>th percentile by linear interpolation (sorts in place).</summary>
    public static double Percentile(List<double> values, double percent)
    {
        values.Sort();
        var rank = percent / 100 * (values.Count - 1);
        var lower = (int)Math.Floor(rank);
        var upper = (int)Math.Ceiling(rank);
        return values[lower] + ((rank - lower) * (values[upper] - values[lower]));
    }
}
