using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Dashboards;

/// <summary>
/// The dashboards' JSON: uids, ids, data sources, units, variables, time bounds, where colours come from, links, codes
/// as strings, line gaps, the freshness header, the gazetteer. (The schema itself: <see cref="DashboardSchemaTests"/>.)
/// </summary>
public sealed partial class DashboardStructureTests
{
    private static readonly HashSet<string> s_quantityPanels = ["timeseries", "stat", "gauge", "bargauge", "heatmap", "table", "geomap", "state-timeline"];

    [Fact]
    public void Dashboards_have_unique_uids_and_unique_panel_ids()
    {
        var dashboards = GrafanaFiles.Dashboards();
        Assert.Equal(["district.json", "pipeline-health.json", "probe-fleet.json", "probe.json", "province-overview.json"], dashboards.Select(d => d.File));
        var uids = dashboards.Select(d => d.Json["uid"]!.GetValue<string>()).ToList();
        Assert.Equal(uids.Count, uids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(uids, uid => Assert.Matches("^hts-[a-z-]+$", uid));
        foreach (var (file, json) in dashboards)
        {
            var ids = GrafanaFiles.Panels(json).Select(p => p["id"]!.GetValue<int>()).ToList();
            Assert.True(ids.Count == ids.Distinct().Count(), $"{file}: duplicate panel ids");
            var titles = GrafanaFiles.Panels(json).Select(p => GrafanaFiles.Title(p)).ToList();
            Assert.True(titles.Count == titles.Distinct(StringComparer.Ordinal).Count(), $"{file}: duplicate panel titles");
            Assert.Null(json["id"]); // Grafana assigns database ids; a provisioned file must not carry one
        }
    }

    [Fact]
    public void Every_datasource_reference_is_provisioned_with_its_type()
    {
        var provisioned = GrafanaFiles.ProvisionedDatasources();
        Assert.Equal("influxdb", provisioned["hts-influxdb"]);
        Assert.Equal("prometheus", provisioned["hts-prometheus"]);
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            foreach (var reference in DatasourceReferences(json))
            {
                var uid = reference["uid"]?.GetValue<string>();
                if (uid == "-- Grafana --")
                {
                    continue; // Grafana's built-in annotations
                }

                Assert.True(uid is not null && provisioned.ContainsKey(uid), $"{file}: data source {reference.ToJsonString()} is not provisioned");
                Assert.Equal(provisioned[uid!], reference["type"]?.GetValue<string>());
            }
        }

        var provider = File.ReadAllText(Path.Combine(GrafanaFiles.Root, "provisioning", "dashboards", "hatangso.yaml"));
        Assert.Contains("type: file", provider, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_panel_showing_a_quantity_has_units_and_every_query_is_bounded_in_time()
    {
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            foreach (var panel in GrafanaFiles.Panels(json).Where(p => s_quantityPanels.Contains(p["type"]!.GetValue<string>())))
            {
                var unit = panel["fieldConfig"]?["defaults"]?["unit"]?.GetValue<string>();
                Assert.False(string.IsNullOrEmpty(unit), $"{file}: panel '{panel["title"]}' has no unit");
            }

            foreach (var query in GrafanaFiles.Queries(file, json))
            {
                Assert.False(string.IsNullOrWhiteSpace(query.Text), $"{file} {query.Where}: empty query");
                // No absolute instants and no ranges counted from now(): the dashboard's time picker decides.
                Assert.DoesNotMatch(AbsoluteTime(), query.Text);
                Assert.DoesNotContain("now()", query.Text, StringComparison.OrdinalIgnoreCase);
                if (query.DatasourceUid != "hts-influxdb")
                {
                    continue; // PromQL: Grafana sends the range itself
                }

                if (query.Text.Contains("GROUP BY time(", StringComparison.Ordinal))
                {
                    Assert.Contains("GROUP BY time($__interval)", query.Text, StringComparison.Ordinal);
                }

                // Every panel and annotation query reads a bounded time: the range, or up to the range's end for lookups of
                // state (open alerts, area names), or a panel's own relative time. Variables list tag values (the index).
                var bounded = query.Text.Contains("$timeFilter", StringComparison.Ordinal)
                    || query.Text.Contains("time <= ${__to}ms", StringComparison.Ordinal) || query.TimeFrom is not null;
                Assert.True(bounded || query.Text.StartsWith("SHOW TAG VALUES", StringComparison.Ordinal), $"{file} {query.Where}: no time bound\n{query.Text}");
            }
        }

        var units = GrafanaFiles.Dashboards().SelectMany(d => GrafanaFiles.Panels(d.Json))
            .Select(p => p["fieldConfig"]!["defaults"]!["unit"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(["Mbits", "ms", "percent", "s", "string"], StringComparer.Ordinal), units);
    }

    [Fact]
    public void Every_variable_has_a_query_and_the_place_variables_are_chained()
    {
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            var variables = json["templating"]!["list"]!.AsArray().Select(v => v!.AsObject()).ToList();
            Assert.NotEmpty(variables);
            foreach (var variable in variables)
            {
                var query = variable["query"];
                var text = query is JsonObject o ? o["query"]?.GetValue<string>() : query?.GetValue<string>();
                Assert.False(string.IsNullOrWhiteSpace(text), $"{file}: variable {variable["name"]} has no query");
            }

            var byName = variables.ToDictionary(v => v["name"]!.GetValue<string>(), StringComparer.Ordinal);
            // province -> kind of area -> area -> commune
            if (byName.TryGetValue("area_kind", out var kind))
            {
                Assert.Contains("$province", kind["query"]!.GetValue<string>(), StringComparison.Ordinal);
            }

            if (byName.TryGetValue("area", out var area))
            {
                Assert.Contains("$area_kind", area["query"]!.GetValue<string>(), StringComparison.Ordinal);
            }

            if (byName.TryGetValue("commune", out var commune))
            {
                Assert.Contains("$area", commune["query"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.Null(commune["allValue"]); // "All" is the area's communes, not every commune
            }

            if (file is not ("pipeline-health.json" or "probe.json"))
            {
                Assert.Superset(new HashSet<string>(["province", "access", "operator", "technology"], StringComparer.Ordinal), byName.Keys.ToHashSet(StringComparer.Ordinal));
            }
        }
    }

    [Fact]
    public void Every_filter_of_a_dashboard_is_used_by_its_panels()
    {
        // A variable no panel query reads is a filter that does nothing (issue 14: $operator on the map, access on the fleet).
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            var panelQueries = GrafanaFiles.Panels(json).SelectMany(p => p["targets"]!.AsArray().Select(t => (Panel: p, Text: (t!["query"] ?? t["expr"])!.GetValue<string>()))).ToList();
            var variableQueries = GrafanaFiles.Queries(file, json).Where(q => q.Where.StartsWith("variable", StringComparison.Ordinal)).ToList();
            foreach (var name in json["templating"]!["list"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()))
            {
                // Used by a panel, or by another variable a panel uses (province → area kind → area → commune).
                bool Used(string variable, int depth) => depth < 5 && (panelQueries.Any(q => q.Text.Contains("$" + variable, StringComparison.Ordinal))
                    || variableQueries.Where(v => v.Text.Contains("$" + variable, StringComparison.Ordinal)).Any(v => Used(v.Where["variable $".Length..], depth + 1)));
                Assert.True(Used(name, 0), $"{file}: ${name} filters no panel");
            }

            // Every query of a panel reading the results or the verdicts honours the link filters.
            foreach (var (panel, text) in panelQueries.Where(q => file is "province-overview.json" or "district.json" && q.Text.Contains("\"compliance\"", StringComparison.Ordinal)
                && q.Text.Contains("\"value\"", StringComparison.Ordinal)))
            {
                Assert.True(text.Contains("'$operator'", StringComparison.Ordinal) || text.Contains("/^$operator$/", StringComparison.Ordinal), $"{file} '{panel["title"]}': ignores $operator");
            }
        }

        var fleet = DashboardQueries.Dashboard("probe-fleet.json").Json;
        var liveness = GrafanaFiles.Panels(fleet).Where(p => QueryText(p).Contains("\"probe_liveness\"", StringComparison.Ordinal)).ToList();
        Assert.True(liveness.Count >= 3);
        Assert.All(liveness, p => Assert.Contains("\"operators\" =~ /(^|,)$operator(,|$)/", QueryText(p), StringComparison.Ordinal));
    }

    [Fact]
    public void Colours_of_download_panels_come_from_the_data_and_operational_panels_have_fixed_thresholds()
    {
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            foreach (var panel in GrafanaFiles.Panels(json))
            {
                var title = GrafanaFiles.Title(panel);
                var targets = QueryText(panel);
                var download = panel["fieldConfig"]!["defaults"]!["unit"]!.GetValue<string>() is "Mbits" or "percent" && !IsOperational(title);
                // Thresholds of the defaults and of overrides ({"id": "thresholds", "value": {...}}).
                var steps = Nodes(panel).OfType<JsonObject>().Where(n => n["thresholds"] is JsonObject).Select(n => n["thresholds"]!)
                    .Concat(Nodes(panel).OfType<JsonObject>().Where(n => n["id"]?.GetValueKind() == JsonValueKind.String && n["id"]!.GetValue<string>() == "thresholds").Select(n => n["value"]!))
                    .SelectMany(t => t["steps"]!.AsArray()).ToList();
                if (download)
                {
                    // A threshold step with a number would be a target typed into the panel.
                    Assert.All(steps, s => Assert.True(s!["value"] is null, $"{file}: panel '{title}' types a threshold"));
                }

                // Where a verdict is shown, its status colours it through the value mapping (met green, below red, ...).
                if (targets.Split('\n').Any(t => t.StartsWith("SELECT last(\"status\")", StringComparison.Ordinal) && t.Contains("FROM \"compliance\"", StringComparison.Ordinal)))
                {
                    var mappings = Nodes(panel).OfType<JsonObject>().Where(n => n["options"] is JsonObject o && o["below"] is not null).ToList();
                    Assert.True(mappings.Count > 0, $"{file}: panel '{title}' shows a status without the status colours");
                    Assert.All(mappings, m => Assert.Equal(("green", "red", "orange"), (m["options"]!["met"]!["color"]!.GetValue<string>(),
                        m["options"]!["below"]!["color"]!.GetValue<string>(), m["options"]!["inconclusive"]!["color"]!.GetValue<string>())));
                }

                if (IsOperational(title))
                {
                    Assert.True(steps.Any(s => s!["value"] is not null), $"{file}: operational panel '{title}' has no fixed threshold");
                }
            }
        }

        // Download panels comparing a value with its target take the threshold from the evaluation (Config from query results).
        var district = DashboardQueries.Dashboard("district.json").Json;
        foreach (var title in new[] { "Value against the target: $access", "Operators side by side: $access" })
        {
            var panel = DashboardQueries.Panel("district.json", title);
            var config = Assert.Single(panel["transformations"]!.AsArray(), t => t!["id"]!.GetValue<string>() == "configFromData")!;
            var refId = config["options"]!["configRefId"]!.GetValue<string>();
            var query = panel["targets"]!.AsArray().Single(t => t!["refId"]!.GetValue<string>() == refId)!["query"]!.GetValue<string>();
            Assert.Contains("last(\"threshold\") AS \"threshold\"", query, StringComparison.Ordinal);
            Assert.Contains(config["options"]!["mappings"]!.AsArray(), m => m!["fieldName"]!.GetValue<string>() == "threshold" && m["handlerKey"]!.GetValue<string>() == "threshold1");
        }

        Assert.NotNull(district);
    }

    // Panels whose numbers are about the system, not about a target: they carry fixed thresholds.
    private static bool IsOperational(string title) =>
        title.EndsWith("(age)", StringComparison.Ordinal) || title is "Registered probes by state" or "Quarantine rate" or "Hangfire failed jobs"
            or "Unacknowledged backlog now" or "Broker connection" or "Areas × access below target now" or "Open alerts"
            or "Queue depth (results waiting on the probe)" or "InfluxDB write errors"
        || title.StartsWith("Job age", StringComparison.Ordinal);

    [Fact]
    public void Drill_down_links_use_the_raw_value_and_codes_are_shown_as_strings()
    {
        var links = new List<string>();
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            Assert.DoesNotContain("${__data.fields", json.ToJsonString(), StringComparison.Ordinal); // a display value, not the code
            foreach (var panel in GrafanaFiles.Panels(json).Where(p => p["type"]!.GetValue<string>() is "table" or "geomap"))
            {
                var overrides = panel["fieldConfig"]!["overrides"]!.AsArray().Select(o => o!.AsObject()).ToList();
                foreach (var code in new[] { "area", "commune", "probe", "district" })
                {
                    var shown = QueryText(panel).Split('\n').Select(Shown).Any(t => t.Contains($"\"{code}\"", StringComparison.Ordinal));
                    var byName = overrides.Where(o => o["matcher"]!["id"]!.GetValue<string>() == "byName" && o["matcher"]!["options"]!.GetValue<string>() == code).ToList();
                    if (!shown)
                    {
                        continue;
                    }

                    Assert.True(byName.Any(o => o["properties"]!.AsArray().Any(p => p!["id"]!.GetValue<string>() == "unit" && p["value"]!.GetValue<string>() == "string")),
                        $"{file} '{panel["title"]}': {code} is not shown as a string");
                    links.AddRange(byName.SelectMany(o => o["properties"]!.AsArray()).Where(p => p!["id"]!.GetValue<string>() == "links")
                        .SelectMany(p => p!["value"]!.AsArray()).Select(l => $"{file} {code}: {l!["url"]!.GetValue<string>()}"));
                }
            }
        }

        Assert.All(links, l => Assert.Contains("${__value.raw}", l, StringComparison.Ordinal));
        // A link names only variables of its own dashboard (an unknown ${window} would reach the target dashboard as text).
        var variables = GrafanaFiles.Dashboards().ToDictionary(d => d.File, d => d.Json["templating"]!["list"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal));
        Assert.All(links, l => Assert.All(LinkVariable().Matches(l).Select(m => m.Groups[1].Value).Where(v => !v.StartsWith("__", StringComparison.Ordinal)),
            v => Assert.True(variables[l[..l.IndexOf(' ', StringComparison.Ordinal)]].Contains(v), $"{l}: ${{{v}}} is not a variable of its dashboard")));
        // province table and map → area; area → commune; area and fleet → probe
        Assert.Contains(links, l => l.StartsWith("province-overview.json area: /d/hts-district/", StringComparison.Ordinal) && l.Contains("var-area=${__value.raw}", StringComparison.Ordinal));
        Assert.Equal(2, links.Count(l => l.StartsWith("province-overview.json area:", StringComparison.Ordinal))); // the table and the map
        Assert.Contains(links, l => l.StartsWith("district.json commune: /d/hts-district/", StringComparison.Ordinal) && l.Contains("var-area_kind=commune", StringComparison.Ordinal));
        Assert.Contains(links, l => l.StartsWith("district.json probe: /d/hts-probe/", StringComparison.Ordinal));
        Assert.Contains(links, l => l.StartsWith("probe-fleet.json probe: /d/hts-probe/", StringComparison.Ordinal));
    }

    [Fact]
    public void Lines_break_across_gaps_and_every_dashboard_starts_with_the_freshness_row()
    {
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            foreach (var panel in GrafanaFiles.Panels(json).Where(p => p["type"]!.GetValue<string>() == "timeseries"))
            {
                // spanNulls is a duration (ms), never true: an outage longer than twice the schedule is not drawn as data.
                var span = panel["fieldConfig"]!["defaults"]!["custom"]!["spanNulls"];
                Assert.True(span is null || span.GetValueKind() == JsonValueKind.Number, $"{file} '{panel["title"]}': spanNulls {span}");
                if (panel["datasource"]!["uid"]!.GetValue<string>() == "hts-influxdb")
                {
                    Assert.True(span is not null, $"{file} '{panel["title"]}': no spanNulls duration");
                }
            }

            var header = GrafanaFiles.Panels(json).Take(3).ToList();
            Assert.Equal(["Newest result (age)", "Last hourly rollup (age)", "Last compliance evaluation (age)"], header.Select(p => GrafanaFiles.Title(p)));
            Assert.All(header, p => Assert.Equal(0, p["gridPos"]!["y"]!.GetValue<int>()));
            Assert.All(header, p => Assert.Contains("time() - max(hts_data_newest_timestamp_seconds", p["targets"]![0]!["expr"]!.GetValue<string>(), StringComparison.Ordinal));
        }

        // Per query the span follows its data: raw results 2 × 15 min, hourly rollups 2 h, daily rollups 2 days.
        var distribution = DashboardQueries.Panel("district.json", "Download distribution per operator: p10, median, p90");
        var spans = distribution["fieldConfig"]!["overrides"]!.AsArray().Where(o => o!["matcher"]!["id"]!.GetValue<string>() == "byFrameRefID")
            .ToDictionary(o => o!["matcher"]!["options"]!.GetValue<string>(), o => o!["properties"]!.AsArray().Single(p => p!["id"]!.GetValue<string>() == "custom.spanNulls")!["value"]!.GetValue<long>());
        Assert.Equal(new Dictionary<string, long> { ["A"] = 1_800_000, ["B"] = 7_200_000, ["C"] = 172_800_000 }, spans);
    }

    [Fact]
    public void Verdict_panels_show_since_when_and_alert_tables_keep_their_times()
    {
        // A state timeline of the compliance status per area × access on the overview, per access on the area dashboard.
        foreach (var (file, group) in new[] { ("province-overview.json", "GROUP BY time($__interval), \"area\", \"access\""), ("district.json", "GROUP BY time($__interval), \"access\"") })
        {
            var timeline = Assert.Single(GrafanaFiles.Panels(DashboardQueries.Dashboard(file).Json), p => p["type"]!.GetValue<string>() == "state-timeline");
            var query = timeline["targets"]![0]!["query"]!.GetValue<string>();
            Assert.StartsWith("SELECT last(\"status\") FROM \"compliance\"", query, StringComparison.Ordinal);
            Assert.Contains(group, query, StringComparison.Ordinal);
        }

        foreach (var (file, json) in GrafanaFiles.Dashboards().Where(d => d.File != "pipeline-health.json"))
        {
            foreach (var panel in GrafanaFiles.Panels(json).Where(p => QueryText(p).Contains("alert_events", StringComparison.Ordinal) && p["type"]!.GetValue<string>() == "table"))
            {
                // The Time column is kept and named (opened, at): nothing excludes it.
                Assert.DoesNotContain("\"excludeByName\":{\"Time\":true}", panel.ToJsonString(), StringComparison.Ordinal);
                Assert.Contains(panel["fieldConfig"]!["overrides"]!.AsArray(), o => o!["matcher"]!["options"]!.GetValue<string>() == "Time");
            }
        }
    }

    [Fact]
    public void The_gazetteer_holds_every_former_district_of_the_catalogue_with_a_centroid_and_the_map_looks_areas_up_in_it()
    {
        using var catalog = JsonDocument.Parse(File.ReadAllText(Path.Combine(BuildOutput.RepositoryRoot, "src/HaTangSo.Telemetry.Server/Registry/Data/catalogue-pre-2025-07.json")));
        var districts = catalog.RootElement.GetProperty("districts").EnumerateArray().Where(d => d.TryGetProperty("centroid", out var c) && c.ValueKind == JsonValueKind.Object).ToList();
        using var gazetteer = JsonDocument.Parse(File.ReadAllText(Path.Combine(GrafanaFiles.Root, "gazetteer", "hts-districts.json")));
        var entries = gazetteer.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("key").GetString()!, StringComparer.Ordinal);
        Assert.Equal(33, districts.Count);
        Assert.Equal(districts.Count, entries.Count);
        foreach (var district in districts)
        {
            var entry = entries[district.GetProperty("code").GetString()!];
            Assert.Equal(district.GetProperty("name").GetString(), entry.GetProperty("name").GetString());
            Assert.Equal(district.GetProperty("centroid").GetProperty("lat").GetDouble(), entry.GetProperty("latitude").GetDouble());
            Assert.Equal(district.GetProperty("centroid").GetProperty("lon").GetDouble(), entry.GetProperty("longitude").GetDouble());
        }

        var overview = GrafanaFiles.Dashboards().Single(d => d.File == "province-overview.json").Json;
        var map = Assert.Single(GrafanaFiles.Panels(overview), p => p["type"]!.GetValue<string>() == "geomap");
        var layers = map["options"]!["layers"]!.AsArray();
        Assert.Equal(2, layers.Count); // fixed and mobile
        Assert.All(layers, l =>
        {
            Assert.Equal("lookup", l!["location"]!["mode"]!.GetValue<string>());
            Assert.Equal("area", l["location"]!["lookup"]!.GetValue<string>());
            Assert.Equal("public/gazetteer/hts-districts.json", l["location"]!["gazetteer"]!.GetValue<string>());
            Assert.Equal("status", l["config"]!["style"]!["color"]!["field"]!.GetValue<string>());
        });
    }

    /// <summary>What a query shows: its select list and its outermost GROUP BY (not what its WHERE filters on).</summary>
    private static string Shown(string query) =>
        query[..Math.Max(0, query.IndexOf(" FROM ", StringComparison.Ordinal))] + " " +
        (query.LastIndexOf("GROUP BY", StringComparison.Ordinal) is >= 0 and var g ? query[g..] : "");

    /// <summary>The panel's query texts, one per line (JsonNode.ToJsonString escapes quotes, so it is no place to search).</summary>
    [Fact]
    public void Every_title_a_person_reads_is_Vietnamese_first_then_English()
    {
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            // Dashboard, panel and data-link titles ("Mở đầu đo · Open the probe"); the dashboards menu ("HaTangSo") is a name.
            var titles = Nodes(json).OfType<JsonObject>().Where(o => o["title"]?.GetValueKind() == JsonValueKind.String)
                .Select(o => o["title"]!.GetValue<string>()).Where(t => t != "HaTangSo").ToList();
            Assert.NotEmpty(titles);
            foreach (var title in titles)
            {
                var parts = title.Split(" · ");
                Assert.True(parts.Length == 2 && parts[0].Length > 0 && parts[1].Length > 0 && parts[0] != parts[1],
                    $"{file}: title '{title}' is not 'Tiếng Việt · English'");
            }
        }
    }

    private static string QueryText(JsonObject panel) =>
        string.Join('\n', panel["targets"]!.AsArray().Select(t => (t!["query"] ?? t["expr"])!.GetValue<string>()));

    private static IEnumerable<JsonObject> DatasourceReferences(JsonObject dashboard) =>
        Nodes(dashboard).OfType<JsonObject>().Where(o => o["datasource"] is JsonObject).Select(o => o["datasource"]!.AsObject());

    private static IEnumerable<JsonNode> Nodes(JsonNode node)
    {
        yield return node;
        var children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a.AsEnumerable(),
            _ => [],
        };
        foreach (var child in children.Where(c => c is not null))
        {
            foreach (var inner in Nodes(child!))
            {
                yield return inner;
            }
        }
    }

    [GeneratedRegex(@"'\d{4}-\d{2}-\d{2}|\b\d{13,19}(ms|ns|s)?\b")]
    private static partial Regex AbsoluteTime();

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_.]*)")]
    private static partial Regex LinkVariable();
}
