using System.Globalization;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Probe.Radio;

/// <summary>
/// Reads the JSON of <c>mmcli -J</c>. ModemManager builds it from dotted keys (<c>cli/mmcli-output.c</c>:
/// <c>modem.generic.access-technologies</c>, <c>modem.3gpp.operator-code</c>, <c>modem.signal.lte.rsrp</c>,
/// <c>modem.generic.cell-info</c>) nested one object per dot; every value is a string, <c>--</c> when unknown, and
/// numbers are printed with <c>%.2lf</c>. Parsed with <see cref="JsonDocument"/> (no reflection: Native AOT safe).
/// Anything unexpected yields null for that fact, never an exception past this class.
/// </summary>
internal static class MmcliJson
{
    /// <summary>
    /// The technology and network from <c>mmcli -J -m N</c>; null when the modem reports no technology. ModemManager
    /// reports 5G non-standalone (E-UTRA-NR dual connectivity, 27.007 AcT 13) as <c>lte</c> and <c>5gnr</c> together
    /// and standalone as <c>5gnr</c> alone (<c>src/mm-modem-helpers.c</c>).
    /// </summary>
    public static RadioSnapshot? ParseModem(string json)
    {
        using var document = Parse(json);
        if (document is null || Path(document.RootElement, "modem", "generic", "access-technologies") is not { ValueKind: JsonValueKind.Array } list)
        {
            return null;
        }

        var names = list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal);
        var technology = Technology(names);
        if (technology is null)
        {
            return null;
        }

        var code = Text(Path(document.RootElement, "modem", "3gpp", "operator-code"));
        return new RadioSnapshot(technology, NameRules.IsValid(NameKind.MobileNetworkCode, code) ? code : null);
    }

    /// <summary>The LTE and NR signal from <c>mmcli -J -m N --signal-get</c> (nulls when polling is off: all <c>--</c>).</summary>
    public static (SignalValues? Lte, SignalValues? Nr) ParseSignal(string json)
    {
        using var document = Parse(json);
        if (document is null || Path(document.RootElement, "modem", "signal") is not { ValueKind: JsonValueKind.Object } signal)
        {
            return (null, null);
        }

        SignalValues? Of(string technology)
        {
            var values = new SignalValues(
                Number(Path(signal, technology, "rsrp")), Number(Path(signal, technology, "rsrq")), Number(Path(signal, technology, "snr")));
            return values.IsEmpty ? null : values;
        }

        return (Of("lte"), Of("5g"));
    }

    /// <summary>
    /// The serving cell from <c>mmcli -J -m N --get-cell-info</c> (ModemManager 1.20+): each cell is a line that
    /// <c>mm_cell_info_build_string</c> wrote as <c>cell type: lte, serving: yes, ci: 1A2B3C4, earfcn: 1850, ...</c>.
    /// On non-standalone 5G the NR cell's band is named and the cell id is NR's when given, else the LTE anchor's (modems
    /// often report the secondary NR cell without its id).
    /// </summary>
    public static (string? Band, string? CellId) ParseServingCell(string json)
    {
        using var document = Parse(json);
        if (document is null || Path(document.RootElement, "modem", "generic", "cell-info") is not { ValueKind: JsonValueKind.Array } cells)
        {
            return (null, null);
        }

        (string? Band, string? CellId)? lte = null, nr = null;
        foreach (var cell in cells.EnumerateArray())
        {
            if (cell.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            var fields = Fields(cell.GetString()!);
            if (fields.GetValueOrDefault("serving") != "yes")
            {
                continue;
            }

            var ci = fields.GetValueOrDefault("ci");
            var cellId = NameRules.IsValid(NameKind.CellId, ci) ? ci!.ToUpperInvariant() : null;
            switch (fields.GetValueOrDefault("cell type"))
            {
                case "lte":
                    lte ??= (Channel(fields, "earfcn") is { } e ? RadioBands.FromEarfcn(e) : null, cellId);
                    break;
                case "5gnr":
                    nr ??= (Channel(fields, "nrarfcn") is { } n ? RadioBands.FromNrArfcn(n) : null, cellId);
                    break;
            }
        }

        return (nr?.Band ?? lte?.Band, nr?.CellId ?? lte?.CellId);
    }

    private static string? Technology(HashSet<string> names)
    {
        var nr = names.Contains("5gnr");
        var lte = names.Contains("lte") || names.Contains("lte-cat-m") || names.Contains("lte-nb-iot");
        if (nr)
        {
            return lte ? RadioTechnology.NrNonStandalone : RadioTechnology.NrStandalone;
        }

        if (lte)
        {
            return RadioTechnology.Lte;
        }

        if (names.Overlaps(["umts", "hsdpa", "hsupa", "hspa", "hspa-plus"]))
        {
            return RadioTechnology.Umts;
        }

        if (names.Overlaps(["gsm", "gsm-compact", "gprs", "edge"]))
        {
            return RadioTechnology.Gsm;
        }

        return names.Count == 0 || names.Contains("unknown") ? null : RadioTechnology.Other;
    }

    private static Dictionary<string, string> Fields(string line)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in line.Split(", ", StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = part.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0)
            {
                fields.TryAdd(part[..colon].Trim(), part[(colon + 2)..].Trim());
            }
        }

        return fields;
    }

    private static int? Channel(Dictionary<string, string> fields, string key) =>
        int.TryParse(fields.GetValueOrDefault(key), NumberStyles.None, CultureInfo.InvariantCulture, out var channel) ? channel : null;

    private static JsonDocument? Parse(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement? Path(JsonElement element, params ReadOnlySpan<string> keys)
    {
        foreach (var key in keys)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(key, out element))
            {
                return null;
            }
        }

        return element;
    }

    private static string? Text(JsonElement? element) =>
        element is { ValueKind: JsonValueKind.String } e && e.GetString() is { } s && s != "--" && s.Length > 0 ? s : null;

    private static double? Number(JsonElement? element) =>
        double.TryParse(Text(element), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;
}
