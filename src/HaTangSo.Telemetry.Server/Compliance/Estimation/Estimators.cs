namespace HaTangSo.Telemetry.Server.Compliance.Estimation;

/// <summary>A value with its 95 % interval and what it was computed from.</summary>
/// <param name="Value">The statistic; null without samples.</param>
/// <param name="Low">Lower end of the 95 % interval; null when none can be given.</param>
/// <param name="High">Upper end of the 95 % interval.</param>
/// <param name="Samples">Samples counted.</param>
/// <param name="Links">Probe links counted.</param>
internal readonly record struct Estimate(double? Value, double? Low, double? High, long Samples, int Links)
{
    public static Estimate Empty { get; } = new(null, null, null, 0, 0);
}

/// <summary>
/// The estimators of issue 13. <b>Link-weighted</b> (<see cref="LinkWeighted"/>): the statistic of each probe link over
/// the window first, then the same statistic across links (a share: the mean of the links' shares), so each commune
/// office counts once whatever its schedule; the 95 % interval is a seeded bootstrap over links (links resampled with
/// replacement, each resampled link's value drawn within its own standard error, so one link still has an interval).
/// <b>Pooled</b> (<see cref="Pooled"/>): every sample counts once; the mean's interval is the normal one (s/√n), a
/// median's or percentile's the distribution-free order-statistic interval (exact binomial ranks), a share's Wilson's.
/// </summary>
internal static class Estimators
{
    /// <summary>The 97.5th percentile of the standard normal distribution.</summary>
    public const double Z = 1.959963984540054;

    private const double Alpha = 0.05;

    /// <summary>The link-weighted estimate over the links with at least <paramref name="minLinkSamples"/> values.</summary>
    public static Estimate LinkWeighted(IReadOnlyList<ValueSummary> links, Statistic statistic, int minLinkSamples, int resamples, ulong seed)
    {
        var used = links.Where(l => l.Count >= Math.Max(1, minLinkSamples)).ToList();
        if (used.Count == 0)
        {
            return Estimate.Empty with { Samples = 0, Links = 0 };
        }

        var values = new double[used.Count];
        var errors = new double[used.Count];
        for (var i = 0; i < used.Count; i++)
        {
            values[i] = statistic.Of(used[i]);
            errors[i] = StandardError(used[i], statistic);
        }

        var value = Across(values, statistic);
        var samples = used.Sum(l => l.Count);
        var random = new SplitMix64(seed);
        var replicates = new double[Math.Max(100, resamples)];
        var draw = new double[used.Count];
        for (var b = 0; b < replicates.Length; b++)
        {
            for (var j = 0; j < draw.Length; j++)
            {
                var pick = random.NextInt(draw.Length);
                var x = values[pick] + (errors[pick] * random.NextNormal());
                draw[j] = statistic.Kind == StatisticKind.ShareAtLeast ? Math.Clamp(x, 0, 100) : Math.Max(0, x);
            }

            replicates[b] = Across(draw, statistic);
        }

        Array.Sort(replicates);
        return new Estimate(value, Rank7(replicates, 2.5), Rank7(replicates, 97.5), samples, used.Count);
    }

    /// <summary>The pooled estimate: every sample of every link counts once.</summary>
    public static Estimate Pooled(IReadOnlyList<ValueSummary> links, Statistic statistic)
    {
        var all = new ValueSummary();
        foreach (var link in links)
        {
            all.Merge(link);
        }

        if (all.Count == 0)
        {
            return Estimate.Empty;
        }

        var value = statistic.Of(all);
        var linkCount = links.Count(l => l.Count > 0);
        switch (statistic.Kind)
        {
            case StatisticKind.Mean when all.Count >= 2:
                var half = Z * all.StandardDeviation / Math.Sqrt(all.Count);
                return new Estimate(value, value - half, value + half, all.Count, linkCount);
            case StatisticKind.Percentile when OrderStatisticRanks(all.Count, statistic.Percent / 100) is { } ranks:
                return new Estimate(value, all.OrderStatistic(ranks.Lower), all.OrderStatistic(ranks.Upper), all.Count, linkCount);
            case StatisticKind.ShareAtLeast:
                var (low, high) = Wilson(value / 100, all.Count);
                return new Estimate(value, 100 * low, 100 * high, all.Count, linkCount);
            default:
                return new Estimate(value, null, null, all.Count, linkCount);
        }
    }

    /// <summary>
    /// The distribution-free 95 % interval of the <paramref name="p"/> quantile from <paramref name="n"/> values: the
    /// 1-based order statistics <c>x(lower)</c> and <c>x(upper)</c> with <c>P(lower ≤ B ≤ upper − 1) ≥ 0.95</c>, B ~
    /// Binomial(n, p), each tail at most 2.5 % (exact binomial up to 200,000 values, normal beyond). Null when
    /// <paramref name="n"/> is too small for one (fewer than 6 values for a median).
    /// </summary>
    public static (long Lower, long Upper)? OrderStatisticRanks(long n, double p)
    {
        if (n <= 0 || p <= 0 || p >= 1)
        {
            return null;
        }

        long lower = 0, upper = n + 1;
        if (n > 200_000)
        {
            var spread = Z * Math.Sqrt(n * p * (1 - p));
            lower = (long)Math.Floor((n * p) - spread);
            upper = (long)Math.Ceiling((n * p) + spread) + 1;
        }
        else
        {
            // P(B ≤ k), summed in log space so that (1 - p)^n does not underflow the terms that matter.
            var logPmf = n * Math.Log(1 - p);
            var logRatio = Math.Log(p / (1 - p));
            var cdf = 0.0;
            for (var k = 0L; k <= n; k++)
            {
                cdf += Math.Exp(logPmf);
                if (cdf <= Alpha / 2)
                {
                    lower = k + 1;
                }

                if (cdf >= 1 - (Alpha / 2) - 1e-12)
                {
                    upper = k + 1;
                    break;
                }

                logPmf += Math.Log((double)(n - k) / (k + 1)) + logRatio;
            }
        }

        return lower >= 1 && upper <= n && lower < upper ? (lower, upper) : null;
    }

    /// <summary>Wilson's 95 % score interval of a proportion (0..1).</summary>
    public static (double Low, double High) Wilson(double proportion, long n)
    {
        var z2 = Z * Z;
        var centre = (proportion + (z2 / (2 * n))) / (1 + (z2 / n));
        var half = Z / (1 + (z2 / n)) * Math.Sqrt((proportion * (1 - proportion) / n) + (z2 / (4.0 * n * n)));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>R-7 percentile of sorted values.</summary>
    public static double Rank7(IReadOnlyList<double> sorted, double percent)
    {
        var rank = percent / 100 * (sorted.Count - 1);
        var lower = (int)Math.Floor(rank);
        var upper = Math.Min(sorted.Count - 1, lower + 1);
        return sorted[lower] + ((rank - lower) * (sorted[upper] - sorted[lower]));
    }

    // The link's own uncertainty: the standard error of its mean, of its quantile (the order-statistic interval's
    // width / 2z, or its range when it has too few values for one), of its share (Wilson's).
    private static double StandardError(ValueSummary link, Statistic statistic)
    {
        switch (statistic.Kind)
        {
            case StatisticKind.Mean:
                return link.Count < 2 ? 0 : link.StandardDeviation / Math.Sqrt(link.Count);
            case StatisticKind.Percentile:
                return OrderStatisticRanks(link.Count, statistic.Percent / 100) is { } ranks
                    ? (link.OrderStatistic(ranks.Upper) - link.OrderStatistic(ranks.Lower)) / (2 * Z)
                    : (link.Max - link.Min) / (2 * Z);
            default:
                var (low, high) = Wilson(statistic.Of(link) / 100, link.Count);
                return 100 * (high - low) / (2 * Z);
        }
    }

    private static double Across(double[] values, Statistic statistic)
    {
        if (statistic.Kind != StatisticKind.Percentile)
        {
            return values.Average();
        }

        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return Rank7(sorted, statistic.Percent);
    }
}

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014): a small generator whose sequence is fixed by its seed on every platform and
/// .NET version (System.Random's seeded sequence is not promised), so a bootstrap is reproducible anywhere.
/// </summary>
internal sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;
    private double? _spare;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="count"/>).</summary>
    public int NextInt(int count) => (int)(NextDouble() * count);

    /// <summary>Standard normal (Box–Muller, both values used).</summary>
    public double NextNormal()
    {
        if (_spare is { } spare)
        {
            _spare = null;
            return spare;
        }

        var u = 1 - NextDouble();
        var v = NextDouble();
        var r = Math.Sqrt(-2 * Math.Log(u));
        _spare = r * Math.Sin(2 * Math.PI * v);
        return r * Math.Cos(2 * Math.PI * v);
    }

    /// <summary>A seed from a text key (FNV-1a, 64 bit): the same row gets the same bootstrap on every instance.</summary>
    public static ulong SeedOf(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
