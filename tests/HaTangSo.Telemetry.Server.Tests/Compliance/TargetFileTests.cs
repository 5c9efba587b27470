using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Server.Tests.Compliance;

/// <summary>The targets file (Compliance:TargetsFile) is a door like the API: the same rules, an error naming the entry.</summary>
public sealed class TargetFileTests
{
    private const string Good = """
        {"provinceCode": "42", "access": "mobile", "technology": "5G", "metric": "download", "statistic": "median", "threshold": 100,
         "validFrom": "2026-01-01", "source": "568/KH-UBND"}
        """;

    [Fact]
    public void ReadFile_ValidEntries_AreReadWithTheTechnologyInLowerCase()
    {
        var targets = Read($"[{Good}, {Good.Replace("\"42\"", "\"25\"", StringComparison.Ordinal)}]");

        Assert.Equal(2, targets.Count);
        Assert.All(targets, t => Assert.Equal("5g", t.Technology));
    }

    [Theory]
    [InlineData("\"5G\"", "\"5g\\\\\"", "[1]: technology")]
    [InlineData("\"568/KH-UBND\"", "\"568\\nKH\"", "[1]: source")]
    [InlineData("\"42\"", "\"42\\\\\"", "[1]: provinceCode")]
    [InlineData("\"threshold\": 100,", "", "threshold")]
    [InlineData("\"threshold\": 100,", "\"threshold\": 100, \"comment\": \"x\",", "comment")]
    public void ReadFile_BadEntry_StopsNamingIt(string from, string to, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read($"[{Good}, {Good.Replace(from, to, StringComparison.Ordinal)}]"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("Compliance:TargetsFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFile_NullEntry_StopsNamingIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read($"[{Good}, null]"));

        Assert.Contains("[1] is null", error.Message, StringComparison.Ordinal);
    }

    private static List<Target> Read(string json)
    {
        using var directory = new TempDirectory("hts-targets");
        var file = Path.Combine(directory.Path, "targets.json");
        File.WriteAllText(file, json);
        return TargetDefinition.ReadFile(file);
    }
}
