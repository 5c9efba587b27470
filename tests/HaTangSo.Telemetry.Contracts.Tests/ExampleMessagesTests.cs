using System.Text.Json;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;
using NJsonSchema;

namespace HaTangSo.Telemetry.Contracts.Tests;

public sealed class ExampleMessagesTests
{
    private static readonly JsonSchema s_resultSchema = JsonSchema.FromJsonAsync(ContractSchemas.Read(ContractSchemas.ResultFileName)).GetAwaiter().GetResult();
    private static readonly JsonSchema s_statusSchema = JsonSchema.FromJsonAsync(ContractSchemas.Read(ContractSchemas.StatusFileName)).GetAwaiter().GetResult();

    public static TheoryData<string> ResultExamples() => Examples("result-");

    public static TheoryData<string> StatusExamples() => Examples("status-");

    [Theory]
    [MemberData(nameof(ResultExamples))]
    public void ResultExample_ValidatesAgainstSchema(string file)
    {
        var errors = s_resultSchema.Validate(File.ReadAllText(file));
        Assert.True(errors.Count == 0, Describe(errors));
    }

    [Theory]
    [MemberData(nameof(ResultExamples))]
    public void ResultExample_RoundTripsThroughContractTypes(string file)
    {
        var message = JsonSerializer.Deserialize(File.ReadAllBytes(file), ContractsJsonContext.Default.ResultMessage);
        Assert.NotNull(message);
        Assert.Equal(ResultMessage.SchemaName, message.Schema);
        Assert.True(Topics.IsValidProbeId(message.ProbeId));
        var again = JsonSerializer.Deserialize(
            JsonSerializer.SerializeToUtf8Bytes(message, ContractsJsonContext.Default.ResultMessage),
            ContractsJsonContext.Default.ResultMessage);
        Assert.Equal(message, again);
    }

    [Theory]
    [MemberData(nameof(StatusExamples))]
    public void StatusExample_ValidatesAgainstSchemaAndTypes(string file)
    {
        var errors = s_statusSchema.Validate(File.ReadAllText(file));
        Assert.True(errors.Count == 0, Describe(errors));
        Assert.NotNull(JsonSerializer.Deserialize(File.ReadAllBytes(file), ContractsJsonContext.Default.StatusMessage));
    }

    [Fact]
    public void Schema_StatesTheSameLimitsAsResultLimits()
    {
        var schema = JsonNode.Parse(ContractSchemas.Read(ContractSchemas.ResultFileName))!;
        Assert.Equal(ResultLimits.MaxMbps, schema["definitions"]!["mbps"]!["maximum"]!.GetValue<double>());
        Assert.Equal(ResultLimits.MaxMilliseconds, schema["definitions"]!["milliseconds"]!["maximum"]!.GetValue<double>());
        Assert.Equal(ResultLimits.MaxShortString, schema["definitions"]!["shortText"]!["maxLength"]!.GetValue<int>());
        Assert.Equal(ResultLimits.MaxDurationMs, schema["properties"]!["durationMs"]!["maximum"]!.GetValue<double>());
        Assert.Equal(ResultLimits.MaxErrorString, schema["properties"]!["error"]!["maxLength"]!.GetValue<int>());
    }

    [Fact]
    public void Schema_StatesTheSameRadioLimitsAndTechnologies()
    {
        var radio = JsonNode.Parse(ContractSchemas.Read(ContractSchemas.ResultFileName))!["properties"]!["radio"]!["properties"]!;
        Assert.Equal((RadioLimits.MinRsrpDbm, RadioLimits.MaxRsrpDbm), (radio["rsrpDbm"]!["minimum"]!.GetValue<double>(), radio["rsrpDbm"]!["maximum"]!.GetValue<double>()));
        Assert.Equal((RadioLimits.MinRsrqDb, RadioLimits.MaxRsrqDb), (radio["rsrqDb"]!["minimum"]!.GetValue<double>(), radio["rsrqDb"]!["maximum"]!.GetValue<double>()));
        Assert.Equal((RadioLimits.MinSinrDb, RadioLimits.MaxSinrDb), (radio["sinrDb"]!["minimum"]!.GetValue<double>(), radio["sinrDb"]!["maximum"]!.GetValue<double>()));
        Assert.Equal(RadioTechnology.All, radio["accessTechnology"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public void Schema_RefusesRadioOutsideItsRanges()
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Examples", "result-ok-mobile-5g.json")))!;
        Assert.Empty(s_resultSchema.Validate(node.ToJsonString()));
        node["radio"]!["accessTechnology"] = "6g";
        Assert.NotEmpty(s_resultSchema.Validate(node.ToJsonString()));
        node["radio"]!["accessTechnology"] = "lte";
        node["radio"]!["rsrpDbm"] = 10;
        Assert.NotEmpty(s_resultSchema.Validate(node.ToJsonString()));
        node["radio"]!["rsrpDbm"] = -95;
        node["radio"]!["operatorCode"] = "452 04";
        Assert.NotEmpty(s_resultSchema.Validate(node.ToJsonString()));
    }

    [Fact]
    public void Schema_RefusesNegativeSpeedAndUnknownAccess()
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Examples", "result-ok-fixed.json")))!;
        node["downloadMbps"] = -1;
        Assert.NotEmpty(s_resultSchema.Validate(node.ToJsonString()));
        node["downloadMbps"] = 10;
        node["link"]!["access"] = "satellite";
        Assert.NotEmpty(s_resultSchema.Validate(node.ToJsonString()));
        node["link"]!["access"] = "fixed";
        node["link"]!["operator"] = "VNPT\nspeedtest";
        Assert.NotEmpty(s_resultSchema.Validate(node.ToJsonString()));
        node["link"]!["operator"] = "VNPT";
        Assert.Empty(s_resultSchema.Validate(node.ToJsonString()));
    }

    private static TheoryData<string> Examples(string prefix)
    {
        var data = new TheoryData<string>();
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Examples"), prefix + "*.json");
        Assert.NotEmpty(files);
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            data.Add(file);
        }

        return data;
    }

    private static string Describe(ICollection<NJsonSchema.Validation.ValidationError> errors) =>
        string.Join("; ", errors.Select(e => $"{e.Path}: {e.Kind}"));
}
