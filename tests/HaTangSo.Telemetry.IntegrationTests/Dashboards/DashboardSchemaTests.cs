using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Dashboards;

/// <summary>
/// The dashboards against Grafana's own published TypeScript schema (<c>@grafana/schema</c>, pinned versions in
/// grafana/schema/package.json) with <c>tsc --strict</c> (grafana/schema/check.mjs), and the committed JSON against what
/// grafana/generate.py writes.
/// </summary>
public sealed class DashboardSchemaTests
{
    private static string Checker => Path.Combine(GrafanaFiles.Root, "schema", "check.mjs");

    [Fact]
    public async Task Every_dashboard_type_checks_against_each_pinned_grafana_schema()
    {
        var result = await CheckAsync([], TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        Assert.Matches(@"^5 dashboards × 3 versions \(@grafana/schema 11\.6\.\d+, 12\.4\.\d+, 13\.2\.\d+\): 0 errors$", result.Stdout.Trim().Split('\n')[^1]);
    }

    [Fact]
    public async Task The_schema_check_refuses_unknown_properties_wrong_enum_values_and_misspelt_options()
    {
        var ct = TestContext.Current.CancellationToken;
        var original = File.ReadAllText(Path.Combine(GrafanaFiles.Root, "dashboards", "district.json"));
        // One mistake per file: tsc reports an object literal's first error only, so two in one panel could hide each other.
        var mistakes = new (string Name, Action<JsonObject> Break)[]
        {
            ("unknown-dashboard-property", d => d["refreshh"] = "5m"),
            ("misspelt-stat-option", d => Rename(Panel(d, "stat")["options"]!.AsObject(), "reduceOptions", "reduceOption")),
            ("wrong-legend-enum", d => Panel(d, "timeseries")["options"]!["legend"]!["displayMode"] = "tabel"),
            ("wrong-draw-style", d => Panel(d, "timeseries")["fieldConfig"]!["defaults"]!["custom"]!["drawStyle"] = "lines"),
            ("unknown-override-property", d => Panel(d, "timeseries")["fieldConfig"]!["overrides"]!.AsArray()
                .Add(JsonNode.Parse("""{"matcher":{"id":"byName","options":"x"},"properties":[{"id":"custom.spanNull","value":1000}]}"""))),
            ("old-heatmap-tooltip", d => Panel(d, "heatmap")["options"]!["tooltip"] = JsonNode.Parse("""{"show":true}""")),
            ("wrong-variable-refresh", d => d["templating"]!["list"]![0]!["refresh"] = 5),
            ("unknown-transformation-option", d => Panel(d, "bargauge")["transformations"]![0]!["options"]!["configRefID"] = "B"),
            ("wrong-query-format", d => Panel(d, "table")["targets"]![0]!["resultFormat"] = "tabel"),
        };
        using var directory = new TempDirectory("hts-schema-mistakes");
        foreach (var (name, breakIt) in mistakes)
        {
            var dashboard = JsonNode.Parse(original)!.AsObject();
            breakIt(dashboard);
            File.WriteAllText(Path.Combine(directory.Path, name + ".json"), dashboard.ToJsonString());
        }

        var result = await CheckAsync(["--versions", "11.6", directory.Path], ct);
        Assert.Equal(1, result.ExitCode);
        Assert.All(mistakes, m => Assert.True(result.Stdout.Split('\n').Any(l => l.StartsWith(m.Name + ".json ", StringComparison.Ordinal) && l.Contains("error TS", StringComparison.Ordinal)),
            $"{m.Name} was not refused:\n{result.Stdout}"));
    }

    [Fact]
    public async Task The_committed_dashboards_are_what_generate_py_writes()
    {
        var ct = TestContext.Current.CancellationToken;
        using var directory = new TempDirectory("hts-generated");
        var generator = await Command.RunAsync("python3", [Path.Combine(GrafanaFiles.Root, "generate.py"), "--out", directory.Path], ct, timeout: TimeSpan.FromMinutes(2));
        generator.StdoutOrThrow("python3 grafana/generate.py");
        foreach (var folder in new[] { "dashboards", "gazetteer" })
        {
            var committed = Directory.GetFiles(Path.Combine(GrafanaFiles.Root, folder)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            var generated = Directory.GetFiles(Path.Combine(directory.Path, folder)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(generated, committed);
            foreach (var file in generated)
            {
                Assert.True(File.ReadAllText(Path.Combine(GrafanaFiles.Root, folder, file!)) == File.ReadAllText(Path.Combine(directory.Path, folder, file!)),
                    $"grafana/{folder}/{file} differs from what grafana/generate.py writes: run python3 grafana/generate.py and commit the result");
            }
        }
    }

    private static JsonObject Panel(JsonObject dashboard, string type) =>
        dashboard["panels"]!.AsArray().First(p => p!["type"]!.GetValue<string>() == type)!.AsObject();

    private static void Rename(JsonObject o, string from, string to)
    {
        var value = o[from];
        o.Remove(from);
        o[to] = value;
    }

    private static async Task<CommandResult> CheckAsync(string[] arguments, CancellationToken ct)
    {
        var modules = Path.Combine(GrafanaFiles.Root, "schema", "node_modules", "typescript");
        Assert.True(Directory.Exists(modules), $"{modules} is missing: run deploy/local/install-deps.sh (npm ci in grafana/schema).");
        return await Command.RunAsync("node", [Checker, .. arguments], ct, timeout: TimeSpan.FromMinutes(5));
    }
}
