using System.Text.Json;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Contracts.Releases;
using NJsonSchema;

namespace HaTangSo.Telemetry.Contracts.Tests;

/// <summary>The command channel's documents (issue 15.2, 15.5): the examples validate and round-trip, and the schemas state what the types do.</summary>
public sealed class CommandSchemaTests
{
    private static readonly JsonSchema s_command = JsonSchema.FromJsonAsync(ContractSchemas.Read(ContractSchemas.CommandFileName)).GetAwaiter().GetResult();
    private static readonly JsonSchema s_ack = JsonSchema.FromJsonAsync(ContractSchemas.Read(ContractSchemas.AckFileName)).GetAwaiter().GetResult();

    [Theory]
    [InlineData("command-measure.json")]
    [InlineData("command-upgrade.json")]
    public void CommandExample_ValidatesAndRoundTrips(string file)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Examples", file));
        Assert.Empty(s_command.Validate(text));
        var command = JsonSerializer.Deserialize(text, ContractsJsonContext.Default.CommandMessage)!;
        Assert.True(CommandKinds.TryParse(command.Kind, out _));
        Assert.Equal(command, JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(command, ContractsJsonContext.Default.CommandMessage), ContractsJsonContext.Default.CommandMessage));
    }

    [Theory]
    [InlineData("ack-upgrade-done.json")]
    [InlineData("ack-measure-refused.json")]
    public void AckExample_ValidatesAndRoundTrips(string file)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Examples", file));
        Assert.Empty(s_ack.Validate(text));
        var ack = JsonSerializer.Deserialize(text, ContractsJsonContext.Default.CommandAck)!;
        Assert.Contains(ack.State, CommandStates.FromProbe);
        Assert.Equal(ack, JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(ack, ContractsJsonContext.Default.CommandAck), ContractsJsonContext.Default.CommandAck));
    }

    [Fact]
    public void Schemas_ListTheStatesAndUpgradeStatesTheTypesKnow()
    {
        var ack = JsonNode.Parse(ContractSchemas.Read(ContractSchemas.AckFileName))!;
        Assert.Equal(CommandStates.FromProbe.Order(), ack["properties"]!["state"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()).Order());
        var status = JsonNode.Parse(ContractSchemas.Read(ContractSchemas.StatusFileName))!;
        Assert.Equal(
            Enum.GetValues<UpgradeStateKind>().Select(UpgradeStateKinds.Name),
            status["properties"]!["upgrade"]!["properties"]!["state"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public void UpgradeState_SerializesAsTheStateFileSpellsIt()
    {
        foreach (var kind in Enum.GetValues<UpgradeStateKind>())
        {
            var json = JsonSerializer.Serialize(new UpgradeStatus { State = kind, From = "0.1.0", To = "0.2.0", At = DateTimeOffset.UnixEpoch }, ContractsJsonContext.Default.UpgradeStatus);
            Assert.Contains($"\"state\":\"{UpgradeStateKinds.Name(kind)}\"", json, StringComparison.Ordinal);
            Assert.True(UpgradeStateKinds.TryParse(UpgradeStateKinds.Name(kind), out var back) && back == kind);
        }
    }

    [Fact]
    public void CommandKinds_ParseOnlyTheirExactNames()
    {
        Assert.Equal([CommandKinds.Measure, CommandKinds.Upgrade], CommandKinds.All);
        foreach (var kind in Enum.GetValues<CommandKind>())
        {
            Assert.True(CommandKinds.TryParse(CommandKinds.Name(kind), out var parsed) && parsed == kind);
        }

        Assert.False(CommandKinds.TryParse("Upgrade", out _));
        Assert.False(CommandKinds.TryParse("upgrade ", out _));
        Assert.False(CommandKinds.TryParse(null, out _));
    }
}
