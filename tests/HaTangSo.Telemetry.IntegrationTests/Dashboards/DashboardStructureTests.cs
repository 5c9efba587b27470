using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Dashboards;

/// <summary>The dashboards' JSON: uids, ids, data sources, units, variables, time ranges, the gazetteer.</summary>
public sealed partial class DashboardStructureTests
{
    private static readonly HashSet<string> s_quantityPanels = ["timeseries", "stat", "gauge", "bargauge", "heatmap", "table", "geomap", "state-timeline"];

    [Fact]
    public void Dashboards_have_unique_uids_and_unique_panel_ids()
    {
        var dashboards = GrafanaFiles.Dashboards();
        Assert.Equal(4, dashboards.Count);
        var uids = dashboards.Select(d => d.Json["uid"]!.GetValue<string>()).ToList();
        Assert.Equal(uids.Count, uids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(uids, uid => Assert.Matches("^hts-[a-z-]+$", uid));
        foreach (var (file, json) in dashboards)
        {
            var ids = GrafanaFiles.Panels(json).Select(p => p["id"]!.GetValue<int>()).ToList();
            Assert.True(ids.Count == ids.Distinct().Count(), $"{file}: duplicate panel ids");
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
    public void Every_panel_showing_a_quantity_has_units_and_every_query_is_relative_to_the_dashboard_range()
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
                if (query.DatasourceUid == "hts-influxdb" && query.Text.Contains("GROUP BY time(", StringComparison.Ordinal))
                {
                    Assert.Contains("GROUP BY time($__interval)", query.Text, StringComparison.Ordinal);
                }
            }
        }

        // Download panels are in Mbit/s, latency in ms, loss in percent: spot the units Grafana knows.
        var units = GrafanaFiles.Dashboards().SelectMany(d => GrafanaFiles.Panels(d.Json))
            .Select(p => p["fieldConfig"]!["defaults"]!["unit"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(["Mbits", "ms", "percent", "s"], StringComparer.Ordinal), units);
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

            if (file != "pipeline-health.json")
            {
                Assert.Superset(new HashSet<string>(["province", "access", "operator", "technology"], StringComparer.Ordinal), byName.Keys.ToHashSet(StringComparer.Ordinal));
            }
        }
    }

    [Fact]
    public void Targets_are_drawn_from_the_data_not_typed_into_panels()
    {
        foreach (var (file, json) in GrafanaFiles.Dashboards())
        {
            foreach (var panel in GrafanaFiles.Panels(json))
            {
                // A threshold step with a number would be a target typed into the panel.
                foreach (var steps in Nodes(panel).OfType<JsonObject>().Where(n => n["thresholds"] is not null).Select(n => n["thresholds"]!["steps"]))
                {
                    Assert.All(steps?.AsArray() ?? [], s => Assert.True(s!["value"] is null, $"{file}: panel '{panel["title"]}' types a threshold"));
                }
            }
        }

        var overview = GrafanaFiles.Dashboards().Single(d => d.File == "province-overview.json").Json;
        var trend = GrafanaFiles.Panels(overview).Single(p => p["title"]!.GetValue<string>().Contains("against the target", StringComparison.Ordinal));
        Assert.Contains(trend["targets"]!.AsArray(), t => t!["query"]!.GetValue<string>().Contains("\"threshold\"", StringComparison.Ordinal));
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
}
