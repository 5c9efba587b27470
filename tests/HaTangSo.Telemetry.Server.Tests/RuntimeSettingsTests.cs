using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// The runtime settings the server ships with, each chosen by measurement (the project file says why, docs/measurements.md
/// has the runs): the built runtimeconfig.json must carry them, so a change to the project cannot drop one unnoticed.
/// </summary>
public sealed class RuntimeSettingsTests
{
    [Theory]
    [InlineData("System.GC.Server", "false")] // workstation GC: less memory and no slower on two cores
    [InlineData("System.GC.Concurrent", "true")]
    [InlineData("System.GC.HeapHardLimit", "402653184")] // 384 MiB: bounds the garbage between collections
    [InlineData("System.Runtime.TieredPGO", "false")] // half the JIT's CPU in a short ingestion burst
    [InlineData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", "0")] // no spinning on a host without idle cores
    public void ServerRuntimeConfig_CarriesTheMeasuredSetting(string name, string expected)
    {
        var path = BuildOutput.File("src/HaTangSo.Telemetry.Server", "HaTangSo.Telemetry.Server.runtimeconfig.json");
        var properties = JsonNode.Parse(File.ReadAllText(path))!["runtimeOptions"]!["configProperties"]!;

        Assert.Equal(expected, properties[name]?.ToJsonString());
    }
}
