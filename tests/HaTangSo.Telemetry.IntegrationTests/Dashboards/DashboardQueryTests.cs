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
    [Fact]
    public async Task Every_InfluxQL_query_runs_and_every_panel_answers_with_data_at_every_range()
    {
        var ct = TestContext.Current.CancellationToken;
        var failures = new List<string>();
        var ran = 0;
        // Where data must be: Thạch Hà with the rolling window (the server's own verdicts: no share_at_least rows on main)
        // and with the busy window (the verdict rows in the agreed schema); one commune with a technology (only the raw
        // results, the fleet and the probe have data: no verdict names ftth); Lai Châu (no target, no district alert).
        var selections = new (string Name, Dictionary<string, string> Values, Func<string, bool> MustHaveData)[]
        {
            ("Thạch Hà, rolling", DashboardQueries.ThachHa(environment), title => !title.StartsWith("Share of samples", StringComparison.Ordinal)),
            ("Thạch Hà, busy", DashboardQueries.ThachHa(environment, "busy"), _ => true),
            ("one commune, fixed, VNPT, ftth", DashboardQueries.OneCommune(environment), _ => false),
            ("Lai Châu", DashboardQueries.LaiChau(environment), _ => false),
        };
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            foreach (var panel in GrafanaFiles.Panels(json))
            {
                var title = GrafanaFiles.Title(panel);
                var queries = DashboardQueries.QueriesOf(file, panel).Where(q => q.DatasourceUid == "hts-influxdb").ToList();
                if (queries.Count == 0)
                {
                    continue; // Prometheus: the test below
                }

                foreach (var (name, selection, mustHaveData) in selections)
                {
                    foreach (var (range, from, to) in DashboardQueries.Ranges(environment))
                    {
                        var rows = new Dictionary<string, int>(StringComparer.Ordinal);
                        foreach (var query in queries)
                        {
                            var text = DashboardQueries.Text(query, panel, selection, from, to);
                            Assert.Empty(GrafanaFiles.Unresolved(text));
                            ran++;
                            try
                            {
                                var statements = await environment.Context.Influx.QueryAsync(text, ct);
                                rows[query.RefId!] = statements.SelectMany(s => s.Series ?? []).Sum(s => s.Values?.Count ?? 0);
                            }
                            catch (InfluxDbException ex)
                            {
                                failures.Add($"{file} {query.Where} [{name}, {range}]: {ex.Error}\n  {text}");
                            }
                        }

                        if (mustHaveData(title) && rows.Values.Sum() == 0)
                        {
                            failures.Add($"{file} '{title}' [{name}, {range}]: no data");
                        }
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} failures of {ran} queries:\n" + string.Join('\n', failures));
        TestContext.Current.SendDiagnosticMessage($"{ran} InfluxQL queries ran");
    }

    [Fact]
    public async Task Long_ranges_read_the_rollups_and_a_chosen_technology_the_results()
    {
        var ct = TestContext.Current.CancellationToken;
        var failures = new List<string>();
        var expected = new Dictionary<string, string>(StringComparer.Ordinal) { ["1 day"] = "A", ["the seeded 4 days"] = "B", ["90 days"] = "C" };
        var series = 0;
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            foreach (var panel in GrafanaFiles.Panels(json))
            {
                var queries = DashboardQueries.QueriesOf(file, panel).Where(q => q.Text.Contains("($__to - $__from)", StringComparison.Ordinal)).ToList();
                if (queries.Count == 0)
                {
                    continue;
                }

                series++;
                Assert.Equal(["A", "B", "C"], queries.Select(q => q.RefId));
                Assert.Contains("\"speedtest\"", queries[0].Text, StringComparison.Ordinal);
                Assert.Contains("\"rollup_hourly\"", queries[1].Text, StringComparison.Ordinal);
                Assert.Contains("\"rollup_daily\"", queries[2].Text, StringComparison.Ordinal);
                foreach (var (selection, technology) in new[] { (DashboardQueries.ThachHa(environment), false), (DashboardQueries.OneCommune(environment), true) })
                {
                    foreach (var (range, from, to) in DashboardQueries.Ranges(environment))
                    {
                        var answering = new List<string>();
                        foreach (var query in queries)
                        {
                            var rows = await environment.Context.Influx.QueryRowsAsync(DashboardQueries.Text(query, panel, selection, from, to), ct);
                            if (rows.Count > 0)
                            {
                                answering.Add(query.RefId!);
                            }
                        }

                        var want = technology ? "A" : expected[range];
                        if (answering is not [var only] || only != want)
                        {
                            failures.Add($"{file} '{panel["title"]}' [{range}{(technology ? ", technology ftth" : "")}]: answered {string.Join(',', answering)}, expected {want} only");
                        }
                    }
                }
            }
        }

        Assert.True(series >= 3, $"{series} panels with resolution queries");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
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

        // The probe dashboard lists every registered probe of the province (from the liveness points), heard of or not.
        var probe = GrafanaFiles.Dashboards().Single(d => d.File == "probe.json");
        var probeVariable = GrafanaFiles.Queries(probe.File, probe.Json).Single(q => q.Where == "variable $probe");
        var probes = (await environment.Context.Influx.QueryRowsAsync(GrafanaFiles.Interpolate(probeVariable, selection, environment.RangeFrom, environment.RangeTo), ct))
            .Select(r => r["value"].GetString()!).ToList();
        Assert.Equal(DashboardEnvironment.Probes.Where(p => p.Province == "42").Select(p => p.Id)
            .Append(DashboardEnvironment.SilentProbe).Append(DashboardEnvironment.RevokedProbe).Order(StringComparer.Ordinal), probes);
    }

    [Fact]
    public async Task Every_Prometheus_query_parses_and_names_only_metrics_the_server_exports()
    {
        var ct = TestContext.Current.CancellationToken;
        // No write was retried in this run, so that counter has no series yet: count one through the server's own
        // instrument so the exporter lists it under the name it will have in production.
        environment.Server.Get<IngestionMetrics>().Retry("influxdb");

        // The exporter answers a scrape from its cache for a moment (ScrapeResponseCacheDurationMilliseconds, 300 ms),
        // and another test of this collection may have scraped just before: scrape until the count shows (bounded).
        var scrape = await environment.Server.Http.GetStringAsync("/metrics", ct);
        for (var attempt = 0; attempt < 50 && !scrape.Contains("hts_ingest_write_retries_total", StringComparison.Ordinal); attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
            scrape = await environment.Server.Http.GetStringAsync("/metrics", ct);
        }

        var exported = scrape.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => MetricName().Match(l).Value)
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains("hts_ingest_messages_received_total", exported);

        var expressions = new List<string>();
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            foreach (var query in GrafanaFiles.Queries(file, json).Where(q => q.DatasourceUid == "hts-prometheus"))
            {
                var text = GrafanaFiles.Interpolate(query, DashboardQueries.ThachHa(environment), environment.RangeFrom, environment.RangeTo);
                Assert.Empty(GrafanaFiles.Unresolved(text));
                var names = HtsMetric().Matches(text).Select(m => m.Value).ToList();
                Assert.True(names.Count > 0, $"{file} {query.Where}: names no hts_ metric");
                // Hangfire's gauges exist only where Hangfire runs (not in this in-process server): HangfireTests checks them
                // on the real server process.
                Assert.All(names.Where(n => !n.StartsWith("hts_jobs_", StringComparison.Ordinal)),
                    name => Assert.True(exported.Contains(name), $"{file} {query.Where}: {name} is not in the server's /metrics"));
                var label = LabelValues().Match(text);
                expressions.Add(label.Success ? $"count by ({label.Groups[2].Value}) ({label.Groups[1].Value})" : text);
            }
        }

        Assert.True(expressions.Count >= 20, $"{expressions.Count} Prometheus queries");
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
