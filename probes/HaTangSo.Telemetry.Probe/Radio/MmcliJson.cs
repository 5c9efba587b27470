using System.Globalization;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Probe.Radio;

/// <summary>
/// Reads the JSON of <c>mmcli -J</c>. ModemManager builds it from dotted keys (<c>cli/mmcli-output.c</c>:
/// <c>modem.generic.access-technologies</c>, <c>modem.3gpp.operator-code</c>, <c>modem.signal.lte.rsrp</c>,
/// <c>modem.generic.cell-info</c>, <c>modem.location.3gpp.cid</c>) nested one object per dot; every value is a string,
/// <c>--</c> when unknown, never with a unit (units are added to the human output only), and numbers are printed with
/// <c>%.2lf</c> after <c>setlocale (LC_ALL, "")</c>: on a box whose locale writes decimals with a comma (vi_VN, cs_CZ,
/// de_DE …) mmcli prints <c>-67,00</c> (a recorded output in Fixtures/mmcli/recorded holds one), so a single comma is
/// read as the decimal point (<see cref="ProcessRunner"/> also runs mmcli in the C.UTF-8 locale). Sections are missing
/// in older ModemManager versions (no <c>5g</c> signal block before 1.16; no <c>error-rate</c> before 1.20): a missing
/// key is an absent fact. Parsed with <see cref="JsonDocument"/> (no reflection: Native AOT safe). Anything unexpected
/// yields null for that fact, never an exception past this class, and never 0 for a value that was not given.
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
        return new RadioSnapshot(technology, OperatorCode(code));
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

            var cellId = CellId(fields.GetValueOrDefault("ci"));
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

    /// <summary>
    /// The serving cell and network from <c>mmcli -J -m N --location-get</c> (<c>modem.location.3gpp</c>; ModemManager
    /// enables this source by default, also on modems without <c>--get-cell-info</c>): the cell id printed as
    /// <c>%08lX</c> (<c>0197763E</c>; all zeros when unknown), the MCC and MNC (<c>0</c> when unknown).
    /// </summary>
    public static (string? CellId, string? OperatorCode) ParseLocation(string json)
    {
        using var document = Parse(json);
        if (document is null || Path(document.RootElement, "modem", "location", "3gpp") is not { ValueKind: JsonValueKind.Object } location)
        {
            return (null, null);
        }

        var code = Text(Path(location, "mcc")) + Text(Path(location, "mnc"));
        return (CellId(Text(Path(location, "cid"))), OperatorCode(code));
    }

    // MCC 000 is assigned to no network (ITU-T E.212): zeros are a modem's or a redactor's "unknown", not a fact.
    private static string? OperatorCode(string? code) =>
        NameRules.IsValid(NameKind.MobileNetworkCode, code) && !code!.StartsWith("000", StringComparison.Ordinal) ? code : null;

    // One spelling for a cell id from either source (cell-info prints it as the modem gave it, location zero-padded to
    // eight digits), so before and after compare equal: upper case, no leading zeros; zero is "unknown", not a cell.
    private static string? CellId(string? hex)
    {
        if (!NameRules.IsValid(NameKind.CellId, hex))
        {
            return null;
        }

        var trimmed = hex!.TrimStart('0').ToUpperInvariant();
        return trimmed.Length == 0 ? null : trimmed;
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

    // %.2lf in a comma-decimal locale prints "-67,00"; %.2lf never groups thousands, so one comma is the decimal point.
    private static double? Number(JsonElement? element) =>
        Text(element) is { } text
        && double.TryParse(text.Count(c => c == ',') == 1 && !text.Contains('.', StringComparison.Ordinal) ? text.Replace(',', '.') : text,
            NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value)
        && double.IsFinite(value) ? value : null;
}
