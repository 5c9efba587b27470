using System.Text.Json;
using System.Text.Json.Nodes;

namespace HaTangSo.Telemetry.IntegrationTests.Dashboards;

/// <summary>The selections and time ranges the dashboard tests use, and running a panel's query as Grafana would.</summary>
internal static class DashboardQueries
{
    /// <summary>
    /// Everything in former district 445 (Thạch Hà) of Hà Tĩnh: "All" of a variable is its allValue .*, and of the communes
    /// (no allValue) the list of the area's communes as Grafana writes it.
    /// </summary>
    public static Dictionary<string, string> ThachHa(DashboardEnvironment environment, string window = "rolling") => new(StringComparer.Ordinal)
    {
        ["province"] = "42", ["area_kind"] = "former-district", ["area"] = "445", ["commune"] = environment.ThachHaCommunes, ["access"] = ".*",
        ["operator"] = ".*", ["technology"] = ".*", ["window"] = window, ["instance"] = ".*", ["probe"] = DashboardEnvironment.OfflineProbe, ["link"] = ".*",
    };

    /// <summary>One commune, one access type, operator and technology (Grafana escapes a single value of a multi-value variable).</summary>
    public static Dictionary<string, string> OneCommune(DashboardEnvironment environment) => new(ThachHa(environment, "month"), StringComparer.Ordinal)
    {
        ["commune"] = "18409", ["access"] = "fixed", ["operator"] = "VNPT", ["technology"] = "ftth", ["link"] = "fixed",
    };

    /// <summary>Lai Châu, every area kind and area, mobile: a province whose plan names no speed.</summary>
    public static Dictionary<string, string> LaiChau(DashboardEnvironment environment) => new(ThachHa(environment), StringComparer.Ordinal)
    {
        ["province"] = "12", ["area_kind"] = ".*", ["area"] = ".*", ["commune"] = ".*", ["access"] = "mobile", ["probe"] = DashboardEnvironment.OfflineProbe,
    };

    /// <summary>Short (results), medium (hourly rollups) and long (daily rollups) ranges that end when the jobs last ran.</summary>
    public static (string Name, DateTimeOffset From, DateTimeOffset To)[] Ranges(DashboardEnvironment environment) =>
    [
        ("1 day", environment.RangeTo.AddDays(-1), environment.RangeTo),
        ("the seeded 4 days", environment.RangeFrom, environment.RangeTo),
        ("90 days", environment.RangeTo.AddDays(-90), environment.RangeTo),
    ];

    public static (string File, JsonObject Json) Dashboard(string file) => GrafanaFiles.Dashboards().Single(d => d.File == file);

    public static JsonObject Panel(string file, string title) =>
        GrafanaFiles.Panels(Dashboard(file).Json).Single(p => GrafanaFiles.Title(p) == title);

    /// <summary>
    /// The text Grafana sends for a panel's query: a panel repeated by a variable gets one value of it per copy (the
    /// selection's, or <paramref name="repeatValue"/> when the selection has "All").
    /// </summary>
    public static string Text(DashboardQuery query, JsonObject panel, IReadOnlyDictionary<string, string> selection, DateTimeOffset from, DateTimeOffset to,
        string repeatValue = "fixed")
    {
        var variables = new Dictionary<string, string>(selection, StringComparer.Ordinal);
        if (panel["repeat"]?.GetValue<string>() is { } repeat && variables.GetValueOrDefault(repeat) is null or ".*")
        {
            variables[repeat] = repeatValue;
        }

        return GrafanaFiles.Interpolate(query, variables, from, to);
    }

    public static IEnumerable<DashboardQuery> QueriesOf(string file, JsonObject panel) =>
        GrafanaFiles.Queries(file, Dashboard(file).Json).Where(q => q.Where.StartsWith($"panel {panel["id"]} ", StringComparison.Ordinal));

    /// <summary>The rows of one query of a panel (group-by tags merged into each row).</summary>
    public static async Task<List<IReadOnlyDictionary<string, JsonElement>>> RowsAsync(
        DashboardEnvironment environment, string file, string title, string refId, IReadOnlyDictionary<string, string> selection,
        DateTimeOffset? from = null, DateTimeOffset? to = null, string repeatValue = "fixed")
    {
        var panel = Panel(file, title);
        var query = QueriesOf(file, panel).Single(q => q.RefId == refId);
        var text = Text(query, panel, selection, from ?? environment.RangeFrom, to ?? environment.RangeTo, repeatValue);
        Assert.Empty(GrafanaFiles.Unresolved(text));
        return [.. await environment.Context.Influx.QueryRowsAsync(text, TestContext.Current.CancellationToken)];
    }

    public static string S(this IReadOnlyDictionary<string, JsonElement> row, string column) =>
        row.TryGetValue(column, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    public static double? D(this IReadOnlyDictionary<string, JsonElement> row, string column) =>
        row.TryGetValue(column, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    public static DateTimeOffset Time(this IReadOnlyDictionary<string, JsonElement> row) => DateTimeOffset.UnixEpoch.AddTicks(row["time"].GetInt64() / 100);
}
