namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>The contract's statistics of round-trip samples.</summary>
internal static class Statistics
{
    /// <summary>The median; null without samples.</summary>
    public static double? Median(IReadOnlyList<double> samples)
    {
        if (samples.Count == 0)
        {
            return null;
        }

        var sorted = samples.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Mean absolute difference of consecutive samples, in the order taken; null under two samples.</summary>
    public static double? Jitter(IReadOnlyList<double> samples)
    {
        if (samples.Count < 2)
        {
            return null;
        }

        double sum = 0;
        for (var i = 1; i < samples.Count; i++)
        {
            sum += Math.Abs(samples[i] - samples[i - 1]);
        }

        return sum / (samples.Count - 1);
    }

    /// <summary>Rounds to <paramref name="digits"/> decimals for the message.</summary>
    public static double? Round(double? value, int digits = 2) => value is { } v ? Math.Round(v, digits) : null;
}
