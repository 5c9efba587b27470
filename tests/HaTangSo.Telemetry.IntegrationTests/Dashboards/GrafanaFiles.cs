using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Dashboards;

/// <summary>
/// One query of a dashboard: where it is (for messages), its data source uid, its text, the panel's minimum interval, its
/// relative time (<c>timeFrom</c>), the panel's title and the query's refId.
/// </summary>
internal sealed record DashboardQuery(
    string Dashboard, string Where, string DatasourceUid, string Text, string? MinInterval, string? TimeFrom = null, string? Panel = null, string? RefId = null);

/// <summary>The repository's <c>grafana/</c> folder: dashboards, provisioning and the gazetteer, and every query in them.</summary>
internal static partial class GrafanaFiles
{
    public static string Root => Path.Combine(BuildOutput.RepositoryRoot, "grafana");

    public static IReadOnlyList<(string File, JsonObject Json)> Dashboards() =>
        [.. Directory.GetFiles(Path.Combine(Root, "dashboards"), "*.json").Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), JsonNode.Parse(File.ReadAllText(f))!.AsObject()))];

    /// <summary>Data-source uid → type, from the provisioning file.</summary>
    public static Dictionary<string, string> ProvisionedDatasources()
    {
        // The provisioning YAML is flat enough to read line by line: "- name:" starts an entry, then "uid:" and "type:".
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string? uid = null;
        foreach (var raw in File.ReadAllLines(Path.Combine(Root, "provisioning", "datasources", "hatangso.yaml")))
        {
            var line = raw.Trim();
            if (line.StartsWith("- name:", StringComparison.Ordinal))
            {
                uid = null;
            }
            else if (line.StartsWith("uid:", StringComparison.Ordinal))
            {
                uid = line["uid:".Length..].Trim();
            }
            else if (line.StartsWith("type:", StringComparison.Ordinal) && uid is not null)
            {
                result[uid] = line["type:".Length..].Trim();
            }
        }

        return result;
    }

    /// <summary>Every query: panel targets, template variables, annotations.</summary>
    public static IEnumerable<DashboardQuery> Queries(string file, JsonObject dashboard)
    {
        foreach (var panel in Panels(dashboard))
        {
            foreach (var target in panel["targets"]?.AsArray() ?? [])
            {
                var uid = (target!["datasource"] ?? panel["datasource"])?["uid"]?.GetValue<string>() ?? "";
                var text = target["query"]?.GetValue<string>() ?? target["expr"]?.GetValue<string>() ?? "";
                var title = GrafanaFiles.Title(panel);
                yield return new(file, $"panel {panel["id"]} '{title}' {target["refId"]}", uid, text, panel["interval"]?.GetValue<string>(),
                    panel["timeFrom"]?.GetValue<string>(), title, target["refId"]?.GetValue<string>());
            }
        }

        foreach (var variable in dashboard["templating"]?["list"]?.AsArray() ?? [])
        {
            if (variable!["type"]?.GetValue<string>() != "query")
            {
                continue;
            }

            var query = variable["query"];
            var text = query is JsonObject o ? o["query"]?.GetValue<string>() ?? "" : query?.GetValue<string>() ?? "";
            yield return new(file, $"variable ${variable["name"]}", variable["datasource"]?["uid"]?.GetValue<string>() ?? "", text, null);
        }

        foreach (var annotation in dashboard["annotations"]?["list"]?.AsArray() ?? [])
        {
            if (annotation!["builtIn"] is not null)
            {
                continue;
            }

            yield return new(file, $"annotation '{annotation["name"]}'", annotation["datasource"]?["uid"]?.GetValue<string>() ?? "",
                annotation["target"]?["query"]?.GetValue<string>() ?? annotation["target"]?["expr"]?.GetValue<string>() ?? "", null);
        }
    }

    /// <summary>
    /// The English part of a bilingual title (<c>Tiếng Việt · English</c>, as grafana/generate.py writes every title): the
    /// key the tests find panels by.
    /// </summary>
    public static string Title(JsonNode node)
    {
        var title = node["title"]!.GetValue<string>();
        var split = title.LastIndexOf(" · ", StringComparison.Ordinal);
        return split < 0 ? title : title[(split + 3)..];
    }

    public static IEnumerable<JsonObject> Panels(JsonObject dashboard)
    {
        foreach (var panel in dashboard["panels"]?.AsArray() ?? [])
        {
            yield return panel!.AsObject();
            foreach (var inner in panel["panels"]?.AsArray() ?? [])
            {
                yield return inner!.AsObject();
            }
        }
    }

    /// <summary>
    /// Substitutes variables as Grafana's InfluxQL data source does for an absolute time range: <c>$timeFilter</c> becomes
    /// <c>time &gt;= …ms and time &lt;= …ms</c>, <c>$__from</c>/<c>$__to</c> (also <c>${__to}</c>) the range's ends in epoch
    /// milliseconds, <c>$__interval</c> the range over the panel's width rounded to a step no finer than the panel's minimum
    /// interval, a variable its value (an "All" of a regex variable its <c>allValue</c>). A panel's relative time
    /// (<c>timeFrom</c>, e.g. 7d) replaces the range's start, as Grafana does.
    /// </summary>
    public static string Interpolate(DashboardQuery query, IReadOnlyDictionary<string, string> variables, DateTimeOffset from, DateTimeOffset to)
    {
        if (query.TimeFrom is { } relative)
        {
            from = to - ParseDuration(relative);
        }

        var interval = Interval(to - from, query.MinInterval);
        var fromMs = from.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var toMs = to.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var text = query.Text
            .Replace("${__from}", fromMs, StringComparison.Ordinal).Replace("${__to}", toMs, StringComparison.Ordinal)
            .Replace("$__from", fromMs, StringComparison.Ordinal).Replace("$__to", toMs, StringComparison.Ordinal)
            .Replace("$timeFilter", $"time >= {fromMs}ms and time <= {toMs}ms", StringComparison.Ordinal)
            .Replace("$__interval", Duration(interval), StringComparison.Ordinal)
            .Replace("$__rate_interval", Duration(TimeSpan.FromTicks(Math.Max(interval.Ticks, TimeSpan.FromMinutes(1).Ticks))), StringComparison.Ordinal);
        return VariableReference().Replace(text, m =>
        {
            var name = m.Groups["a"].Success ? m.Groups["a"].Value : m.Groups["b"].Value;
            return variables.TryGetValue(name, out var value) ? value : m.Value;
        });
    }

    /// <summary>Variables still unresolved after <see cref="Interpolate"/> (a misspelt or undefined one).</summary>
    public static IEnumerable<string> Unresolved(string interpolated) =>
        VariableReference().Matches(interpolated).Select(m => m.Value);

    // Grafana's kbn.roundInterval steps, enough of them for ranges from hours to months.
    private static readonly TimeSpan[] s_steps =
        [.. new[] { 1, 5, 10, 15, 20, 30, 60, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800 }.Select(s => TimeSpan.FromSeconds(s))];

    /// <summary>The <c>$__interval</c> Grafana uses for a range on a panel about 1,000 points wide.</summary>
    public static TimeSpan Interval(TimeSpan range, string? minimum)
    {
        var raw = range / 1000; // a panel about 1,000 points wide
        var step = s_steps.FirstOrDefault(s => s >= raw, s_steps[^1]);
        var floor = minimum is null ? TimeSpan.FromMinutes(1) : ParseDuration(minimum); // data source timeInterval 1m
        return step > floor ? step : floor;
    }

    public static TimeSpan ParseDuration(string text)
    {
        var number = double.Parse(text[..^1], CultureInfo.InvariantCulture);
        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(number),
            'm' => TimeSpan.FromMinutes(number),
            'h' => TimeSpan.FromHours(number),
            'd' => TimeSpan.FromDays(number),
            _ => throw new FormatException($"interval '{text}'"),
        };
    }

    private static string Duration(TimeSpan span) =>
        span.TotalSeconds % 3600 == 0 ? $"{span.TotalHours:0}h" : span.TotalSeconds % 60 == 0 ? $"{span.TotalMinutes:0}m" : $"{span.TotalSeconds:0}s";

    [GeneratedRegex(@"\$\{(?<a>[A-Za-z_][A-Za-z0-9_]*)(:[a-z]+)?\}|\$(?<b>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex VariableReference();
}
