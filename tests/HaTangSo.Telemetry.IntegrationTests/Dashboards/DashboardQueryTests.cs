using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Diagnostics;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Dashboards;

/// <summary>
/// Every query of every dashboard (panels, variables, annotations), with its variables substituted as Grafana does,
/// against the real InfluxDB the server and its jobs filled; the Prometheus queries against the server's real
/// <c>/metrics</c> and Prometheus' own parser (<c>promtool</c>).
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed partial class DashboardQueryTests(DashboardEnvironment environment)
{
    // What a person picks: everything ("All" is the variables' allValue .*), or one commune, link type and operator.
    private static readonly Dictionary<string, string>[] s_selections =
    [
        new(StringComparer.Ordinal) { ["province"] = "42", ["area_kind"] = "former-district", ["area"] = "445", ["commune"] = ".*", ["access"] = ".*", ["operator"] = ".*", ["technology"] = ".*", ["window"] = "rolling", ["instance"] = ".*" },
        new(StringComparer.Ordinal) { ["province"] = "42", ["area_kind"] = "former-district", ["area"] = "445", ["commune"] = "18409", ["access"] = "fixed", ["operator"] = "VNPT", ["technology"] = "ftth", ["window"] = "month", ["instance"] = ".*" },
        new(StringComparer.Ordinal) { ["province"] = "12", ["area_kind"] = ".*", ["area"] = ".*", ["commune"] = ".*", ["access"] = "mobile", ["operator"] = ".*", ["technology"] = ".*", ["window"] = "rolling", ["instance"] = ".*" },
    ];

    [Fact]
    public async Task Every_InfluxQL_query_answers_with_data_for_every_selection()
    {
        var ct = TestContext.Current.CancellationToken;
        var failures = new List<string>();
        var ran = 0;
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            foreach (var query in GrafanaFiles.Queries(file, json).Where(q => q.DatasourceUid == "hts-influxdb"))
            {
                foreach (var selection in s_selections)
                {
                    if (selection["province"] == "12" && query.Text.Contains("alert_events", StringComparison.Ordinal))
                    {
                        continue; // Lai Châu has no target, so no district alert; its probes all report
                    }

                    if (selection["province"] == "12" && query.Text.Contains("\"metric\" = 'download'", StringComparison.Ordinal))
                    {
                        continue; // ... and no target line: its compliance rows say no_target (checked with Hà Tĩnh's selections)
                    }

                    var text = GrafanaFiles.Interpolate(query, selection, environment.RangeFrom, environment.RangeTo);
                    Assert.Empty(GrafanaFiles.Unresolved(text));
                    ran++;
                    try
                    {
                        var statements = await environment.Context.Influx.QueryAsync(text, ct);
                        var rows = statements.SelectMany(s => s.Series ?? []).Sum(s => s.Values?.Count ?? 0);
                        if (rows == 0)
                        {
                            failures.Add($"{query.Dashboard} {query.Where} [{string.Join(',', selection.Values)}]: no data\n  {text}");
                        }
                    }
                    catch (InfluxDbException ex)
                    {
                        failures.Add($"{query.Dashboard} {query.Where}: {ex.Error}\n  {text}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {ran} queries failed:\n" + string.Join('\n', failures));
        TestContext.Current.SendDiagnosticMessage($"{ran} InfluxQL queries answered with data");
    }

    [Fact]
    public async Task The_place_variables_chain_from_province_to_commune_with_the_seeded_codes()
    {
        var ct = TestContext.Current.CancellationToken;
        var district = GrafanaFiles.Dashboards().Single(d => d.File == "district.json");
        var variables = GrafanaFiles.Queries(district.File, district.Json).Where(q => q.Where.StartsWith("variable", StringComparison.Ordinal))
            .ToDictionary(q => q.Where["variable $".Length..], StringComparer.Ordinal);
        var selection = new Dictionary<string, string>(StringComparer.Ordinal) { ["access"] = ".*" };

        async Task<List<string>> ValuesAsync(string name) =>
            [.. (await environment.Context.Influx.QueryRowsAsync(GrafanaFiles.Interpolate(variables[name], selection, environment.RangeFrom, environment.RangeTo), ct))
                .Select(r => r["value"].GetString()!)];

        Assert.Equal(["12", "42"], await ValuesAsync("province"));
        selection["province"] = "42";
        Assert.Equal(["commune", "former-district", "former-province", "province"], await ValuesAsync("area_kind"));
        selection["area_kind"] = "former-district";
        var districts = await ValuesAsync("area");
        Assert.Equal(12, districts.Count); // Hà Tĩnh's districts before 1 July 2025, from the registry (not only those with data)
        Assert.Contains("445", districts);
        selection["area"] = "445";
        var communes = await ValuesAsync("commune");
        Assert.Contains("18409", communes);  // Xã Hồng Lộc, 2025
        Assert.DoesNotContain("18412", communes); // the old Xã Hồng Lộc is part of it now
        Assert.All(communes, c => Assert.Equal(5, c.Length));
        Assert.Equal(["fixed", "mobile"], await ValuesAsync("access"));
        selection["access"] = "mobile";
        Assert.Equal(["MobiFone", "Vietnamobile", "Viettel"], await ValuesAsync("operator"));
        Assert.Equal(["4g", "5g"], await ValuesAsync("technology"));
    }

    [Fact]
    public async Task The_overview_shows_the_compliance_the_api_reports_and_the_open_alerts()
    {
        var ct = TestContext.Current.CancellationToken;
        var overview = GrafanaFiles.Dashboards().Single(d => d.File == "province-overview.json");
        var queries = GrafanaFiles.Queries(overview.File, overview.Json).ToList();
        var selection = s_selections[0];
        var table = queries.Single(q => q.Where.Contains("Areas × access", StringComparison.Ordinal));
        var rows = await environment.Context.Influx.QueryRowsAsync(GrafanaFiles.Interpolate(table, selection, environment.RangeFrom, environment.RangeTo), ct);
        using var api = JsonDocument.Parse(await environment.Server.Http.GetStringAsync("/api/compliance/42?area=former-district", ct));
        Assert.Equal(api.RootElement.GetArrayLength(), rows.Count);
        foreach (var expected in api.RootElement.EnumerateArray())
        {
            var row = rows.Single(r => r["area"].GetString() == expected.GetProperty("areaCode").GetString()
                && r["access"].GetString() == expected.GetProperty("access").GetString());
            Assert.Equal(expected.GetProperty("status").GetString(), row["status"].GetString());
            Assert.Equal(expected.GetProperty("samples").GetInt32(), row["samples"].GetInt32());
        }

        Assert.Contains(rows, r => r["area"].GetString() == "445" && r["access"].GetString() == "fixed" && r["status"].GetString() == "below");
        Assert.Contains(rows, r => r["area"].GetString() == "436" && r["status"].GetString() == "met");
        Assert.Contains(rows, r => r["area"].GetString() == "437" && r["status"].GetString() == "insufficient_data");

        var open = queries.Single(q => q.Where.Contains("Open alerts", StringComparison.Ordinal));
        var alerts = await environment.Context.Influx.QueryRowsAsync(GrafanaFiles.Interpolate(open, selection, environment.RangeFrom, environment.RangeTo), ct);
        Assert.Contains(alerts, a => a["kind"].GetString() == "district_below" && a["district"].GetString() == "445" && a["access"].GetString() == "fixed");
        Assert.Contains(alerts, a => a["kind"].GetString() == "probe_silent" && a["probe"].GetString() == DashboardEnvironment.SilentProbe);
    }

    [Fact]
    public async Task Every_Prometheus_query_parses_and_names_only_metrics_the_server_exports()
    {
        var ct = TestContext.Current.CancellationToken;
        // No write was retried in this run, so that counter has no series yet: count one through the server's own
        // instrument so the exporter lists it under the name it will have in production.
        environment.Server.Get<IngestionMetrics>().Retry("influxdb");
        var scrape = await environment.Server.Http.GetStringAsync("/metrics", ct);
        var exported = scrape.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => MetricName().Match(l).Value)
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains("hts_ingest_messages_received_total", exported);

        var expressions = new List<string>();
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            foreach (var query in GrafanaFiles.Queries(file, json).Where(q => q.DatasourceUid == "hts-prometheus"))
            {
                var text = GrafanaFiles.Interpolate(query, s_selections[0], environment.RangeFrom, environment.RangeTo);
                Assert.Empty(GrafanaFiles.Unresolved(text));
                var names = HtsMetric().Matches(text).Select(m => m.Value).ToList();
                Assert.True(names.Count > 0, $"{file} {query.Where}: names no hts_ metric");
                Assert.All(names, name => Assert.True(exported.Contains(name), $"{file} {query.Where}: {name} is not in the server's /metrics"));
                var label = LabelValues().Match(text);
                expressions.Add(label.Success ? $"count by ({label.Groups[2].Value}) ({label.Groups[1].Value})" : text);
            }
        }

        Assert.True(expressions.Count >= 9, $"{expressions.Count} Prometheus queries");
        await AssertPromQlParsesAsync(expressions, ct);
    }

    /// <summary>Runs Prometheus' own parser over the expressions, as recording rules.</summary>
    private static async Task AssertPromQlParsesAsync(List<string> expressions, CancellationToken ct)
    {
        const string promtool = "/usr/bin/promtool";
        Assert.True(File.Exists(promtool), $"{promtool} not found: apt-get install prometheus (deploy/local/install-deps.sh installs it).");
        using var directory = new TempDirectory("hts-promql");
        var rules = Path.Combine(directory.Path, "dashboards.rules.yml");
        // JSON strings are YAML scalars, so every expression is quoted exactly.
        var lines = expressions.Select((e, i) => $"      - record: hts:dashboard_query_{i}\n        expr: {JsonSerializer.Serialize(e)}");
        await File.WriteAllTextAsync(rules, "groups:\n  - name: dashboards\n    rules:\n" + string.Join('\n', lines) + "\n", ct);
        using var process = Process.Start(new ProcessStartInfo(promtool, ["check", "rules", rules]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync(ct) + await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        Assert.True(process.ExitCode == 0, output);
        Assert.Contains($"SUCCESS: {expressions.Count} rules found", output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\bhts_[a-z0-9_]+")]
    private static partial Regex HtsMetric();

    [GeneratedRegex(@"^label_values\(([^,]+),\s*([a-z_]+)\)$")]
    private static partial Regex LabelValues();
}
