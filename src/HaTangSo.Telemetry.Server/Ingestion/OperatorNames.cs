namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// The operators' aliases, so that a probe configured with "vinaphone" agrees with a registry that says "VNPT". The
/// registry's spelling is what is written; the payload's only has to name the same operator.
/// </summary>
internal static class OperatorNames
{
    private static readonly Dictionary<string, string> s_known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["VNPT"] = "VNPT",
        ["Vinaphone"] = "VNPT",
        ["VNPT-Vinaphone"] = "VNPT",
        ["Viettel"] = "Viettel",
        ["MobiFone"] = "MobiFone",
        ["Vietnamobile"] = "Vietnamobile",
        ["FPT"] = "FPT",
        ["FPT Telecom"] = "FPT",
        ["CMC"] = "CMC",
        ["CMC Telecom"] = "CMC",
    };

    /// <summary>The operator's own spelling of a known name or alias (any case); other names as given.</summary>
    public static string Canonical(string name) => s_known.TryGetValue(name, out var known) ? known : name;

    /// <summary>Whether two spellings name the same operator: equal ignoring case, or aliases of one operator.</summary>
    public static bool Same(string given, string registered) =>
        string.Equals(Canonical(given), Canonical(registered), StringComparison.OrdinalIgnoreCase);
}
