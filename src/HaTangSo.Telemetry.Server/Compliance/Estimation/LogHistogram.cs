using System.Globalization;
using System.Text;

namespace HaTangSo.Telemetry.Server.Compliance.Estimation;

/// <summary>
/// A fixed log-scale histogram (the bins of DDSketch with a fixed γ): bin <c>i</c> holds values in
/// <c>[Min·γ^i, Min·γ^(i+1))</c> with γ = 1.02, so any quantile read from it is within 1 % of a value of the bin it
/// falls in; bin 0 also holds everything at or below <see cref="Min"/> (0 Mb/s, 0 ms). Bins are the same for every
/// histogram, so two histograms merge by adding counts: an hour's, a day's and a month's summaries of a link are the
/// sums of their parts. Sparse (only occupied bins), sorted by bin.
/// </summary>
internal sealed class LogHistogram
{
    /// <summary>γ, the ratio between bin edges.</summary>
    public const double Gamma = 1.02;

    /// <summary>The lower edge of bin 1: 0.01 (Mb/s or ms); smaller values count in bin 0.</summary>
    public const double Min = 0.01;

    private static readonly double s_logGamma = Math.Log(Gamma);
    private readonly SortedDictionary<int, long> _bins = [];

    /// <summary>Values counted.</summary>
    public long Count { get; private set; }

    /// <summary>Occupied bins, ascending.</summary>
    public IEnumerable<KeyValuePair<int, long>> Bins => _bins;

    /// <summary>The bin of <paramref name="value"/>.</summary>
    public static int BinOf(double value) => value <= Min ? 0 : 1 + (int)Math.Floor(Math.Log(value / Min) / s_logGamma);

    /// <summary>The value a bin stands for: the geometric middle of its edges (bin 0: 0).</summary>
    public static double ValueOf(int bin) => bin <= 0 ? 0 : Min * Math.Pow(Gamma, bin - 0.5);

    /// <summary>The lower edge of a bin.</summary>
    public static double LowerEdge(int bin) => bin <= 0 ? double.NegativeInfinity : Min * Math.Pow(Gamma, bin - 1);

    public void Add(double value) => Add(BinOf(value), 1);

    public void Add(int bin, long count)
    {
        _bins[bin] = _bins.GetValueOrDefault(bin) + count;
        Count += count;
    }

    public void Merge(LogHistogram other)
    {
        foreach (var (bin, count) in other._bins)
        {
            Add(bin, count);
        }
    }

    /// <summary>The <paramref name="k"/>-th smallest value (1-based order statistic), as its bin's value.</summary>
    public double OrderStatistic(long k)
    {
        var seen = 0L;
        foreach (var (bin, count) in _bins)
        {
            seen += count;
            if (seen >= k)
            {
                return ValueOf(bin);
            }
        }

        return _bins.Count == 0 ? double.NaN : ValueOf(_bins.Keys.Last());
    }

    /// <summary>How many values are at or above <paramref name="value"/> (bins whose lower edge reaches it).</summary>
    public long CountAtLeast(double value)
    {
        var threshold = BinOf(value);
        var count = 0L;
        foreach (var (bin, n) in _bins)
        {
            // A bin that straddles the value counts when its middle reaches it.
            if (bin > threshold || (bin == threshold && ValueOf(bin) >= value))
            {
                count += n;
            }
        }

        return count;
    }

    /// <summary><c>bin:count,bin:count</c> (ascending): the <c>_hist</c> field of the link summaries.</summary>
    public string Encode()
    {
        var text = new StringBuilder(_bins.Count * 7);
        foreach (var (bin, count) in _bins)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(bin.ToString(CultureInfo.InvariantCulture)).Append(':').Append(count.ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>Reads <see cref="Encode"/>'s text; a malformed pair is an error (the row is skipped by the caller).</summary>
    public static LogHistogram Decode(string text)
    {
        var histogram = new LogHistogram();
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0
                || !int.TryParse(pair.AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture, out var bin)
                || !long.TryParse(pair.AsSpan(colon + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
                || bin < 0 || count <= 0)
            {
                throw new FormatException($"'{pair}' is not a histogram bin:count");
            }

            histogram.Add(bin, count);
        }

        return histogram;
    }
}
