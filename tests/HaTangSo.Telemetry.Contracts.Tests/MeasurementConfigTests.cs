using System.Text.Json;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts.Fleet;
using NJsonSchema;

namespace HaTangSo.Telemetry.Contracts.Tests;

public sealed class MeasurementConfigTests
{
    private static readonly JsonSchema s_schema = JsonSchema.FromJsonAsync(ContractSchemas.Read(ContractSchemas.ConfigFileName)).GetAwaiter().GetResult();

    private static string Example() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Examples", "config-province-default.json"));

    [Fact]
    public void Example_ValidatesAgainstSchemaRecordAndRules()
    {
        Assert.Empty(s_schema.Validate(Example()));
        var config = JsonSerializer.Deserialize(Example(), ContractsJsonContext.Default.MeasurementConfig);
        Assert.Empty(MeasurementConfigRules.Validate(config, "ht-xa-thach-ha-01"));
        var again = JsonSerializer.Serialize(config, ContractsJsonContext.Default.MeasurementConfig);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Example()), JsonNode.Parse(again)));
    }

    [Fact]
    public void Schema_StatesTheSameRangesAsTheRules()
    {
        var root = JsonNode.Parse(ContractSchemas.Read(ContractSchemas.ConfigFileName))!["properties"]!;
        var test = root["test"]!["properties"]!;
        Assert.Equal((MeasurementConfigRules.MinScheduleMinutes, MeasurementConfigRules.MaxScheduleMinutes), (root["scheduleMinutes"]!["minimum"]!.GetValue<int>(), root["scheduleMinutes"]!["maximum"]!.GetValue<int>()));
        Assert.Equal(MeasurementConfigRules.MaxServers, root["servers"]!["maxItems"]!.GetValue<int>());
        Assert.Equal(MeasurementConfigRules.MaxUrlLength, root["servers"]!["items"]!["properties"]!["url"]!["maxLength"]!.GetValue<int>());
        Assert.Equal((MeasurementConfigRules.MinStreams, MeasurementConfigRules.MaxStreams), (test["streams"]!["minimum"]!.GetValue<int>(), test["streams"]!["maximum"]!.GetValue<int>()));
        Assert.Equal((MeasurementConfigRules.MinDurationSeconds, MeasurementConfigRules.MaxDurationSeconds), (test["durationSeconds"]!["minimum"]!.GetValue<double>(), test["durationSeconds"]!["maximum"]!.GetValue<double>()));
        Assert.Equal((MeasurementConfigRules.MinLatencySamples, MeasurementConfigRules.MaxLatencySamples), (test["latencySamples"]!["minimum"]!.GetValue<int>(), test["latencySamples"]!["maximum"]!.GetValue<int>()));
        Assert.Equal((MeasurementConfigRules.MinUdpPackets, MeasurementConfigRules.MaxUdpPackets), (test["udpPackets"]!["minimum"]!.GetValue<int>(), test["udpPackets"]!["maximum"]!.GetValue<int>()));
        Assert.Equal(MeasurementConfigRules.MaxBusyThresholdMbps, root["busyThresholdMbps"]!["maximum"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("scheduleMinutes", "0", "scheduleMinutes")]
    [InlineData("version", "0", "version")]
    [InlineData("busyThresholdMbps", "-1", "busyThresholdMbps")]
    [InlineData("servers", "[]", "servers")]
    [InlineData("servers", """[{"id":"ht-dc-1","url":"ftp://x/"}]""", "servers[0].url")]
    [InlineData("servers", """[{"id":"Bad Id","url":"http://x/"}]""", "servers[0].id")]
    [InlineData("test", """{"streams":4,"durationSeconds":10,"warmupSeconds":9,"latencySamples":20,"udpPort":0,"udpPackets":200}""", "test.warmupSeconds")]
    public void Rules_OutOfRange_NameTheFieldAndTheSchemaAgrees(string key, string value, string field)
    {
        var node = JsonNode.Parse(Example())!;
        node[key] = JsonNode.Parse(value);
        var config = JsonSerializer.Deserialize(node.ToJsonString(), ContractsJsonContext.Default.MeasurementConfig);

        Assert.Contains(MeasurementConfigRules.Validate(config, "ht-xa-thach-ha-01"), p => p.Field == field);
        if (field != "test.warmupSeconds" && field != "servers[0].id")
        {
            Assert.NotEmpty(s_schema.Validate(node.ToJsonString()));
        }
    }

    [Fact]
    public void Rules_AnotherProbesConfig_Refused()
    {
        var config = JsonSerializer.Deserialize(Example(), ContractsJsonContext.Default.MeasurementConfig);

        Assert.Contains(MeasurementConfigRules.Validate(config, "ht-xa-khac-01"), p => p.Field == "probeId");
    }
}
