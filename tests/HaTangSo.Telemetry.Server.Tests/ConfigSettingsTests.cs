using HaTangSo.Telemetry.Server.Fleet;

namespace HaTangSo.Telemetry.Server.Tests;

public sealed class ConfigSettingsTests
{
    private static readonly Dictionary<string, Uri> s_servers = new() { ["ht-dc-1"] = new Uri("http://speedtest.example.vn:8090/") };

    private static readonly ConfigSettings s_default = new(
        15, true, ["ht-dc-1"], new TestSettings(4, 10, 3, 20, 9091, 200), 1.0);

    [Fact]
    public void Over_Overrides_WinFieldByField_TestParametersToo()
    {
        var effective = new ConfigSettings(ScheduleMinutes: 5, Test: new TestSettings(Streams: 2)).Over(s_default);

        Assert.Equal(5, effective.ScheduleMinutes);
        Assert.Equal(true, effective.RandomizeOffset);
        Assert.Equal((2, 10.0, 3.0, 9091), (effective.Test!.Streams, effective.Test.DurationSeconds, effective.Test.WarmupSeconds, effective.Test.UdpPort));
    }

    [Fact]
    public void ToConfig_Complete_ServersResolvedFromTheRegistry()
    {
        var (config, problems) = s_default.ToConfig("ht-18409-01", 7, s_servers);

        Assert.Empty(problems);
        Assert.Equal(("ht-18409-01", 7L, "http://speedtest.example.vn:8090/"), (config!.ProbeId, config.Version, config.Servers[0].Url));
    }

    [Theory]
    [InlineData("servers[0]", "ht-dc-2")]
    [InlineData("servers[0]", "Bad Id")]
    [InlineData("servers[0]", null)]
    public void ToConfig_ServerNotRegistered_RefusedNamingIt(string field, string? server)
    {
        var (config, problems) = (new ConfigSettings(Servers: [server]).Over(s_default)).ToConfig("ht-18409-01", 1, s_servers);

        Assert.Null(config);
        Assert.Contains(problems, p => p.Field == field);
    }

    [Fact]
    public void ToConfig_OutOfRangeOrMissing_RefusedNamingEachField()
    {
        var broken = new ConfigSettings(0, null, [], new TestSettings(99, 3, 2.5, 5, 70000, 1), double.NaN);

        var (config, problems) = broken.ToConfig("ht-18409-01", 1, s_servers);

        Assert.Null(config);
        Assert.Equal(
            new[] { "randomizeOffset" },
            problems.Select(p => p.Field).ToArray());
        var complete = broken with { RandomizeOffset = false };
        var fields = complete.ToConfig("ht-18409-01", 1, s_servers).Problems.Select(p => p.Field).ToHashSet();
        Assert.Superset(fields, new HashSet<string> { "scheduleMinutes", "servers", "busyThresholdMbps", "test.streams", "test.warmupSeconds", "test.latencySamples", "test.udpPort", "test.udpPackets" });
    }
}
