namespace HaTangSo.Telemetry.Contracts.Tests;

public sealed class TopicsTests
{
    [Theory]
    [InlineData("abc", true)]
    [InlineData("ht-xa-thach-ha-01", true)]
    [InlineData("ab", false)]
    [InlineData("-abc", false)]
    [InlineData("Abc", false)]
    [InlineData("abc/def", false)]
    [InlineData("abc+", false)]
    [InlineData("", false)]
    public void IsValidProbeId_FollowsContractPattern(string id, bool expected) =>
        Assert.Equal(expected, Topics.IsValidProbeId(id));

    [Fact]
    public void IsValidProbeId_SixtyFourCharactersAllowedSixtyFiveNot()
    {
        Assert.True(Topics.IsValidProbeId(new string('a', 64)));
        Assert.False(Topics.IsValidProbeId(new string('a', 65)));
    }

    [Fact]
    public void Results_AndTryParse_RoundTrip()
    {
        var topic = Topics.Results("ht-xa-01");
        Assert.Equal("hts/v1/probes/ht-xa-01/results", topic);
        Assert.True(Topics.TryParse(topic, out var id, out var kind));
        Assert.Equal(("ht-xa-01", "results"), (id, kind));
    }

    [Theory]
    [InlineData("hts/v1/probes/ht-xa-01/results/extra")]
    [InlineData("hts/v1/probes//results")]
    [InlineData("hts/v2/probes/ht-xa-01/results")]
    [InlineData("hts/v1/probes/UPPER/results")]
    public void TryParse_OtherTopics_False(string topic) =>
        Assert.False(Topics.TryParse(topic, out _, out _));

    [Fact]
    public void ResultsSharedSubscription_IsTheContractsFilter() =>
        Assert.Equal("$share/hts-ingest/hts/v1/probes/+/results", Topics.ResultsSharedSubscription);
}
