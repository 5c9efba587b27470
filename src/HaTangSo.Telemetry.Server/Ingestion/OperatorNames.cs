namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>The operators' own spellings, so that a probe's "viettel" lands in the "Viettel" series.</summary>
internal static class OperatorNames
{
    private static readonly Dictionary<string, string> s_known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["VNPT"] = "VNPT",
        ["Vinaphone"] = "VNPT",
        ["VNPT-Vinaphone"] = "VNPT",
        ["Viettel"] = "Viettel",
        ["MobiFone"] = "MobiFone",
        ["Mobifone"] = "MobiFone",
        ["Vietnamobile"] = "Vietnamobile",
        ["FPT"] = "FPT",
        ["CMC"] = "CMC",
    };

    public static string Canonical(string name) => s_known.TryGetValue(name.Trim(), out var known) ? known : name.Trim();
}
