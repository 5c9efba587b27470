namespace HaTangSo.Telemetry.Server.Compliance.Estimation;

/// <summary>
/// What the jobs keep of a set of values (one metric of one link over an hour, a day or a window): count, sum, sum of
/// squares, min, max and a <see cref="LogHistogram"/>, all mergeable. Built from raw results it also keeps the values
/// themselves (<see cref="Exact"/>), so quantiles are exact on the raw path; once merged with a stored summary the
/// values are dropped and quantiles come from the histogram (within 1 %). Means and shares are exact either way
/// (means from the sums; shares within one bin).
/// </summary>
internal sealed class ValueSummary
{
    private List<double>? _exact = [];
    private bool _sorted = true;

    /// <summary>Values counted.</summary>
    public long Count { get; private set; }

    public double Sum { get; private set; }

    public double SumOfSquares { get; private set; }

    public double Min { get; private set; } = double.PositiveInfinity;

    public double Max { get; private set; } = double.NegativeInfinity;

    public LogHistogram Histogram { get; } = new();

    /// <summary>The values, when every one is known (raw path); else null.</summary>
    public IReadOnlyList<double>? Exact => _exact;

    public double Mean => Count == 0 ? double.NaN : Sum / Count;

    /// <summary>Sample standard deviation (n − 1); 0 for fewer than two values.</summary>
    public double StandardDeviation => Count < 2 ? 0 : Math.Sqrt(Math.Max(0, (SumOfSquares - (Sum * Sum / Count)) / (Count - 1)));

    public void Add(double value)
    {
        Count++;
        Sum += value;
        SumOfSquares += value * value;
        Min = Math.Min(Min, value);
        Max = Math.Max(Max, value);
        Histogram.Add(value);
        if (_exact is not null)
        {
            _sorted = _sorted && (_exact.Count == 0 || _exact[^1] <= value);
            _exact.Add(value);
        }
    }

    /// <summary>A summary read back from storage (no values).</summary>
    public static ValueSummary FromStored(long count, double sum, double sumOfSquares, double min, double max, LogHistogram histogram)
    {
        var summary = new ValueSummary { Count = count, Sum = sum, SumOfSquares = sumOfSquares, Min = min, Max = max, _exact = null };
        summary.Histogram.Merge(histogram);
        return summary;
    }

    public void Merge(ValueSummary other)
    {
        if (other.Count == 0)
        {
            return;
        }

        if (_exact is not null && other._exact is not null)
        {
            _sorted = _sorted && other._sorted && (_exact.Count == 0 || other._exact.Count == 0 || _exact[^1] <= other._exact[0]);
            _exact.AddRange(other._exact);
        }
        else
        {
            _exact = null;
        }

        Count += other.Count;
        Sum += other.Sum;
        SumOfSquares += other.SumOfSquares;
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
        Histogram.Merge(other.Histogram);
    }

    /// <summary>A copy (windows merge copies, the segments stay as read).</summary>
    public ValueSummary Clone()
    {
        var copy = new ValueSummary { _exact = _exact is null ? null : [], };
        copy.Merge(this);
        return copy;
    }

    /// <summary>The <paramref name="k"/>-th smallest value (1-based), exact when the values are known.</summary>
    public double OrderStatistic(long k)
    {
        k = Math.Clamp(k, 1, Count);
        if (_exact is not null)
        {
            Sort();
            return _exact[(int)k - 1];
        }

        // The histogram's bin value, kept inside what was really seen.
        return Math.Clamp(Histogram.OrderStatistic(k), Min, Max);
    }

    /// <summary>
    /// The <paramref name="percent"/>th percentile by linear interpolation between closest ranks (R-7, NumPy's default,
    /// Excel's PERCENTILE.INC), as <see cref="SampleStatistics.Percentile"/>.
    /// </summary>
    public double Percentile(double percent)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        var rank = percent / 100 * (Count - 1);
        var lower = (long)Math.Floor(rank);
        var low = OrderStatistic(lower + 1);
        var high = OrderStatistic(Math.Min(Count, lower + 2));
        return low + ((rank - lower) * (high - low));
    }

    /// <summary>Percentage of values at or above <paramref name="value"/>.</summary>
    public double ShareAtLeast(double value)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        var count = _exact is not null ? _exact.Count(v => v >= value) : Histogram.CountAtLeast(value);
        return 100.0 * count / Count;
    }

    private void Sort()
    {
        if (!_sorted)
        {
            _exact!.Sort();
            _sorted = true;
        }
    }
}
