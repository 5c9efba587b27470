using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Compliance.Estimation;

namespace HaTangSo.Telemetry.Server.Tests.Compliance;

/// <summary>The estimators of issue 13 against cases computed by hand.</summary>
public sealed class EstimatorsTests
{
    private static ValueSummary Values(params double[] values)
    {
        var summary = new ValueSummary();
        foreach (var value in values)
        {
            summary.Add(value);
        }

        return summary;
    }

    private static ValueSummary Repeat(double value, int count) => Values([.. Enumerable.Repeat(value, count)]);

    [Fact]
    public void OrderStatisticRanks_MedianOfTen_IsTheSecondAndNinthValue()
    {
        // P(B <= 1) = 11/1024 <= 2.5 % < P(B <= 2) = 56/1024; P(B <= 8) = 1013/1024 >= 97.5 % > P(B <= 7) = 968/1024, B ~ Bin(10, 1/2):
        // the interval [x(2), x(9)] covers the median with probability 1002/1024 = 97.9 %.
        Assert.Equal((2L, 9L), Estimators.OrderStatisticRanks(10, 0.5));
        var estimate = Estimators.Pooled([Values(7, 3, 10, 1, 5, 9, 2, 8, 4, 6)], Statistic.Parse("median", null));
        Assert.Equal((5.5, 2.0, 9.0), (estimate.Value!.Value, estimate.Low!.Value, estimate.High!.Value));
    }

    [Fact]
    public void OrderStatisticRanks_TooFewValues_GiveNoInterval()
    {
        // With 5 values even [x(1), x(5)] covers the median with only 1 - 2/32 = 93.75 %.
        Assert.Null(Estimators.OrderStatisticRanks(5, 0.5));
        Assert.Equal((1L, 6L), Estimators.OrderStatisticRanks(6, 0.5)); // 1 - 2/64 = 96.9 %
    }

    [Fact]
    public void Pooled_Mean_IsTheNormalInterval()
    {
        // mean 3, s = sqrt(2.5), s/sqrt(5) = 0.70711, z = 1.95996: 3 ± 1.38590.
        var estimate = Estimators.Pooled([Values(1, 2), Values(3, 4, 5)], Statistic.Mean);
        Assert.Equal(3, estimate.Value!.Value, 12);
        Assert.Equal(1.61410, estimate.Low!.Value, 4);
        Assert.Equal(4.38590, estimate.High!.Value, 4);
        Assert.Equal((5L, 2), (estimate.Samples, estimate.Links));
    }

    [Fact]
    public void Wilson_HalfOfAHundred()
    {
        var (low, high) = Estimators.Wilson(0.5, 100);
        Assert.Equal(0.40383, low, 4);
        Assert.Equal(0.59617, high, 4);
    }

    [Fact]
    public void LinkWeighted_OneChattyProbe_CountsOnceLikeTheOthers()
    {
        // A probe that tests every minute (600 results at 10 Mb/s) beside two that test rarely (5 results at 100 Mb/s each):
        // pooled, the chatty one is the area (1,000 + 6,000 ... = 18.2 Mb/s); per link, each office counts once (70 Mb/s).
        ValueSummary[] links = [Repeat(10, 600), Repeat(100, 5), Repeat(100, 5)];
        var pooled = Estimators.Pooled(links, Statistic.Mean);
        var perLink = Estimators.LinkWeighted(links, Statistic.Mean, minLinkSamples: 3, resamples: 1000, seed: 42);
        Assert.Equal((6000 + 1000) / 610.0, pooled.Value!.Value, 9);
        Assert.Equal(70, perLink.Value!.Value, 9);
        Assert.Equal((610L, 3), (perLink.Samples, perLink.Links));
        // Resampling three offices: the interval spans from "mostly the slow one" to "mostly the fast ones".
        Assert.InRange(perLink.Low!.Value, 9.9, 40.1);
        Assert.InRange(perLink.High!.Value, 99.9, 100.1);
    }

    [Fact]
    public void LinkWeighted_MedianOfLinkMedians_AndLinksBelowTheMinimumAreLeftOut()
    {
        ValueSummary[] links = [Values(1, 2, 3), Values(10, 20, 30, 40), Values(5, 6, 7), Values(1000, 1000)];
        var estimate = Estimators.LinkWeighted(links, Statistic.Parse("median", null), minLinkSamples: 3, resamples: 500, seed: 1);
        Assert.Equal(6, estimate.Value!.Value, 12); // medians 2, 25, 6; the two-sample link is left out
        Assert.Equal((10L, 3), (estimate.Samples, estimate.Links));
    }

    [Fact]
    public void LinkWeighted_SameSeed_SameInterval_OtherSeed_OtherInterval()
    {
        ValueSummary[] links = [Values(50, 60, 70), Values(80, 90, 100, 110), Values(20, 25, 30), Values(150, 160, 170), Values(65, 75, 85)];
        var first = Estimators.LinkWeighted(links, Statistic.Mean, 3, 1000, seed: SplitMix64.SeedOf("445/fixed/all/rolling"));
        var again = Estimators.LinkWeighted(links, Statistic.Mean, 3, 1000, seed: SplitMix64.SeedOf("445/fixed/all/rolling"));
        var other = Estimators.LinkWeighted(links, Statistic.Mean, 3, 1000, seed: SplitMix64.SeedOf("436/fixed/all/rolling"));
        Assert.Equal(first, again);
        Assert.NotEqual((first.Low, first.High), (other.Low, other.High));
        Assert.True(first.Low < first.Value && first.Value < first.High);
        // SplitMix64's published first outputs for seed 0 (the sequence may never change with the platform).
        Assert.Equal(0xE220A8397B1DCDAFUL, new SplitMix64(0).Next());
    }

    [Fact]
    public void LinkWeighted_OneLink_StillHasTheIntervalOfItsOwnMean()
    {
        // One office: no spread between links, but its mean is uncertain: 100 ± 1.96 × s/√n (s = 3.3166, n = 11).
        var estimate = Estimators.LinkWeighted([Values(95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105)], Statistic.Mean, 3, 4000, 7);
        Assert.Equal(100, estimate.Value!.Value, 9);
        Assert.InRange(estimate.Low!.Value, 97.8, 98.3);
        Assert.InRange(estimate.High!.Value, 101.7, 102.2);
    }

    [Theory]
    [InlineData(70.2, 71.6, 71, "inconclusive")] // 70.9 against 71: the interval straddles the threshold
    [InlineData(71.0, 72.0, 71, "met")]
    [InlineData(69.0, 70.99, 71, "below")]
    public void Judge_AnIntervalAgainstAThreshold(double low, double high, double threshold, string status)
    {
        var target = new Target(1, "42", null, "mobile", null, "download", "mean", null, threshold, new(2025, 1, 1), null, "568/KH-UBND");
        Assert.Equal(status, ComplianceEvaluator.Judge(low, high, target));
    }

    [Fact]
    public void Judge_Latency_IsMetFromBelow()
    {
        var target = new Target(1, "42", null, "fixed", null, "latency", "median", null, 50, new(2025, 1, 1), null, "plan");
        Assert.Equal("met", ComplianceEvaluator.Judge(30, 49, target));
        Assert.Equal("below", ComplianceEvaluator.Judge(51, 60, target));
        Assert.Equal("inconclusive", ComplianceEvaluator.Judge(45, 55, target));
        Assert.Equal("inconclusive", ComplianceEvaluator.Judge(null, null, target));
    }

    [Fact]
    public void Histogram_QuantilesWithinOnePercent_MeansExact_AndTheEncodingRoundTrips()
    {
        var random = new Random(2026);
        var exact = new ValueSummary();
        for (var i = 0; i < 5000; i++)
        {
            exact.Add(5 + (random.NextDouble() * 295));
        }

        var stored = ValueSummary.FromStored(exact.Count, exact.Sum, exact.SumOfSquares, exact.Min, exact.Max, LogHistogram.Decode(exact.Histogram.Encode()));
        Assert.Null(stored.Exact);
        Assert.Equal(exact.Mean, stored.Mean, 12);
        Assert.Equal(exact.StandardDeviation, stored.StandardDeviation, 9);
        foreach (var p in new[] { 10.0, 20, 50, 80, 90 })
        {
            Assert.InRange(stored.Percentile(p) / exact.Percentile(p), 0.99, 1.01);
        }

        Assert.InRange(stored.ShareAtLeast(150) - exact.ShareAtLeast(150), -1.2, 1.2); // one 2 % bin straddles 150
        Assert.Equal(0, LogHistogram.BinOf(0));
        Assert.Throws<FormatException>(() => LogHistogram.Decode("12:x"));
    }

    [Fact]
    public void Window_DaysCountedWhole_AndTheirHoursNotAgain()
    {
        var day = VietnamTime.StartOf(new DateOnly(2026, 3, 10));
        var history = new LinkHistory(new LinkKey("p", "fixed", "18409", "fixed", "VNPT", "ftth"));
        history.Segments.Add(new LinkSegment(day, true, Link(100, 100), Link(100)));
        history.Segments.Add(new LinkSegment(day + TimeSpan.FromHours(20), false, Link(100), Link(100))); // the same day's hour, also read
        history.Segments.Add(new LinkSegment(day + TimeSpan.FromHours(30), false, Link(50), null));

        Assert.Equal(3, history.Window(day, day + TimeSpan.FromDays(2), busy: false).Download.Count); // the day (2) and the next day's hour
        Assert.Equal(2, history.Window(day + TimeSpan.FromHours(12), day + TimeSpan.FromDays(2), busy: false).Download.Count); // partial day: its hours
        Assert.Equal(1, history.Window(day, day + TimeSpan.FromDays(2), busy: true).Download.Count);
    }

    [Theory]
    [InlineData("19-23", 19, true)]
    [InlineData("19-23", 22, true)]
    [InlineData("19-23", 23, false)]
    [InlineData("19-23", 18, false)]
    [InlineData("22-2", 23, true)]
    [InlineData("22-2", 1, true)]
    [InlineData("22-2", 2, false)]
    public void IsBusy_HoursInVietnamTime(string hours, int vietnamHour, bool busy)
    {
        var options = new ComplianceOptions { BusyHours = hours };
        var at = new DateTimeOffset(2026, 3, 10, vietnamHour, 0, 0, VietnamTime.Offset);
        Assert.Equal(busy, options.IsBusy(at));
    }

    private static LinkSummary Link(params double[] downloads)
    {
        var link = new LinkSummary();
        foreach (var download in downloads)
        {
            link.Add(new Sample(0, "", "18409", "fixed", "ftth", "VNPT", "p", "fixed", download, null, null));
        }

        return link;
    }
}
