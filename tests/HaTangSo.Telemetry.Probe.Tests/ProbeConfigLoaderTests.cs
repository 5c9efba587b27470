using HaTangSo.Telemetry.Probe.Configuration;

namespace HaTangSo.Telemetry.Probe.Tests;

public sealed class ProbeConfigLoaderTests
{
    public const string Valid = """
        {
          // a commune office with a fibre line and a 4G modem
          "probeId": "ht-18409-01",
          "broker": { "host": "mqtt.example.vn", "port": 8883, "tls": true },
          "server": { "url": "http://speedtest.example.vn:8090/", "id": "ht-dc-1" },
          "scheduleMinutes": 15,
          "links": [
            { "name": "fixed", "access": "fixed", "operator": "VNPT", "technology": "ftth", "bind": "192.168.1.10" },
            { "name": "mobile", "access": "mobile", "operator": "Viettel", "technology": "4g", "bind": "192.168.8.100", "interface": "wwan0", "modem": "0" },
          ],
        }
        """;

    [Fact]
    public void Parse_ExampleConfig_Accepted()
    {
        var config = ProbeConfigLoader.Parse(Valid, "probe.json");

        Assert.Equal("ht-18409-01", config.ProbeId);
        Assert.Equal(2, config.Links!.Count);
        Assert.Equal("wwan0", config.Links[1].Interface);
        Assert.Equal(20_000, config.QueueCapacity);
        Assert.Equal(4, config.ToSettings().Streams);
    }

    [Fact]
    public void Parse_RepositoryExampleFile_Accepted()
    {
        var path = Path.Combine(RepositoryRoot(), "deploy", "probe", "probe.example.json");

        var config = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllText(path), ProbeConfigJsonContext.Default.ProbeConfig)!;

        // Valid except for the secret files, which exist only on a real box.
        Assert.Equal(["broker.passwordFile", "broker.caFile"], ProbeConfigLoader.Validate(config).Select(e => e.Split(':')[0]));
        Assert.Equal(2, config.Links!.Count);
    }

    [Theory]
    [InlineData("\"probeId\": \"ht-18409-01\"", "\"probeId\": \"Bad Id\"", "probeId")]
    [InlineData("\"host\": \"mqtt.example.vn\",", "", "broker.host")]
    [InlineData("\"port\": 8883", "\"port\": 70000", "broker.port")]
    [InlineData("\"url\": \"http://speedtest.example.vn:8090/\"", "\"url\": \"ftp://x\"", "server.url")]
    [InlineData("\"scheduleMinutes\": 15", "\"scheduleMinutes\": 0", "scheduleMinutes")]
    [InlineData("\"bind\": \"192.168.8.100\"", "\"bind\": \"not-an-ip\"", "links[1].bind")]
    [InlineData("\"access\": \"mobile\"", "\"access\": \"satellite\"", "links[1].access")]
    [InlineData("\"name\": \"mobile\"", "\"name\": \"fixed\"", "links[1].name")]
    [InlineData("\"name\": \"mobile\"", "\"name\": \"fixed\\\\\"", "links[1].name")]
    [InlineData("\"operator\": \"Viettel\"", "\"operator\": \"VNPT,province=01 download_mbps=999\"", "links[1].operator")]
    [InlineData("\"technology\": \"4g\"", "\"technology\": \"5g\\\\\"", "links[1].technology")]
    [InlineData("\"id\": \"ht-dc-1\"", "\"id\": \"dc\\\\ 1\"", "server.id")]
    [InlineData("\"modem\": \"0\"", "\"modem\": \"0; reboot\"", "links[1].modem")]
    [InlineData("\"bind\": \"192.168.1.10\"", "\"bind\": \"192.168.1.10\", \"modem\": \"1\"", "links[0].modem")]
    public void Parse_BadValue_ErrorNamesTheKey(string from, string to, string key)
    {
        var json = Valid.Replace(from, to, StringComparison.Ordinal);

        var error = Assert.Throws<ProbeConfigException>(() => ProbeConfigLoader.Parse(json, "probe.json"));

        Assert.Contains(key + ":", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownKey_RefusedNamingIt()
    {
        var json = Valid.Replace("\"scheduleMinutes\": 15", "\"scheduleMinute\": 15", StringComparison.Ordinal);

        var error = Assert.Throws<ProbeConfigException>(() => ProbeConfigLoader.Parse(json, "probe.json"));

        Assert.Contains("scheduleMinute", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NullLink_RefusedNamingIt()
    {
        var json = Valid.Replace("\"links\": [", "\"links\": [null, ", StringComparison.Ordinal);

        var error = Assert.Throws<ProbeConfigException>(() => ProbeConfigLoader.Parse(json, "probe.json"));

        Assert.Contains("links[0]: is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NameOutsideItsRule_ErrorNamesTheRule()
    {
        var json = Valid.Replace("\"technology\": \"4g\"", "\"technology\": \"4G LTE\"", StringComparison.Ordinal);

        var error = Assert.Throws<ProbeConfigException>(() => ProbeConfigLoader.Parse(json, "probe.json"));

        Assert.Contains(HaTangSo.Telemetry.Contracts.NameRules.Describe(HaTangSo.Telemetry.Contracts.NameKind.Technology), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoLinks_Refused()
    {
        var error = Assert.Throws<ProbeConfigException>(() => ProbeConfigLoader.Parse("""{ "probeId": "abc", "links": [] }""", "x"));

        Assert.Contains("links: at least one link", error.Message, StringComparison.Ordinal);
        Assert.Contains("broker.host", error.Message, StringComparison.Ordinal);

        // Issue 15.1: without a server block the probe waits for the registry's configuration; a server block needs its URL.
        Assert.DoesNotContain("server.url", error.Message, StringComparison.Ordinal);
        var noUrl = Assert.Throws<ProbeConfigException>(() => ProbeConfigLoader.Parse("""{ "probeId": "abc", "server": {}, "links": [] }""", "x"));
        Assert.Contains("server.url", noUrl.Message, StringComparison.Ordinal);
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "HaTangSo.Telemetry.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
