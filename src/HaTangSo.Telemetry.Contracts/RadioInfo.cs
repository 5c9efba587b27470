namespace HaTangSo.Telemetry.Contracts;

/// <summary>
/// What the mobile link's modem said about the radio (ModemManager, read just before and just after the test):
/// <see cref="ResultMessage.Radio"/>. Optional: absent for fixed links, for a modem the probe is not bound to, and
/// when ModemManager does not answer. Values follow 3GPP TS 36.133 / 38.133 reporting ranges (<see cref="RadioLimits"/>).
/// </summary>
public sealed record RadioInfo
{
    /// <summary>
    /// The access technology the test ran on (<see cref="RadioTechnology"/>): the one seen before and after; when they
    /// differ, the older generation of the two (part of the test may have run on it) and <see cref="Changed"/> is true.
    /// </summary>
    public required string AccessTechnology { get; init; }

    /// <summary>True when the technology, the band or the serving cell differed between before and after the test.</summary>
    public bool? Changed { get; init; }

    /// <summary>The serving network's MCC and MNC (<c>45204</c> Viettel, <c>45201</c> MobiFone, <c>45202</c> VinaPhone): 5 or 6 digits.</summary>
    public string? OperatorCode { get; init; }

    /// <summary>The serving cell's band: <c>B3</c> (LTE, from the EARFCN) or <c>n78</c> (NR, from the NR-ARFCN).</summary>
    public string? Band { get; init; }

    /// <summary>The serving cell's identity as ModemManager gives it (hexadecimal: 28-bit E-UTRAN or 36-bit NR cell id).</summary>
    public string? CellId { get; init; }

    /// <summary>Reference signal received power in dBm (mean of before and after; NR when on 5G, else LTE).</summary>
    public double? RsrpDbm { get; init; }

    /// <summary>Reference signal received quality in dB (mean of before and after).</summary>
    public double? RsrqDb { get; init; }

    /// <summary>Signal to interference and noise ratio in dB (ModemManager's <c>snr</c>; mean of before and after).</summary>
    public double? SinrDb { get; init; }
}

/// <summary>Values of <see cref="RadioInfo.AccessTechnology"/> (a bounded set: it becomes the <c>radio_technology</c> tag).</summary>
public static class RadioTechnology
{
    /// <summary>GSM, GPRS, EDGE.</summary>
    public const string Gsm = "gsm";

    /// <summary>UMTS, HSPA, HSPA+.</summary>
    public const string Umts = "umts";

    /// <summary>LTE (including Cat-M and NB-IoT).</summary>
    public const string Lte = "lte";

    /// <summary>5G NR non-standalone: LTE anchor with NR (E-UTRA-NR dual connectivity).</summary>
    public const string NrNonStandalone = "5g-nsa";

    /// <summary>5G NR standalone (NR connected to a 5G core).</summary>
    public const string NrStandalone = "5g-sa";

    /// <summary>Anything else the modem reported (CDMA, EV-DO, unknown).</summary>
    public const string Other = "other";

    /// <summary>All valid values, oldest generation first.</summary>
    public static IReadOnlyList<string> All { get; } = [Other, Gsm, Umts, Lte, NrNonStandalone, NrStandalone];

    /// <summary>Whether <paramref name="technology"/> is 5G (non-standalone or standalone).</summary>
    public static bool Is5G(string? technology) => technology is NrNonStandalone or NrStandalone;

    /// <summary>The registry-style generation name of a technology (<c>2g</c>, <c>3g</c>, <c>4g</c>, <c>5g</c>), or null for <see cref="Other"/>.</summary>
    public static string? Generation(string? technology) => technology switch
    {
        Gsm => "2g",
        Umts => "3g",
        Lte => "4g",
        NrNonStandalone or NrStandalone => "5g",
        _ => null,
    };
}

/// <summary>Plausibility limits of <see cref="RadioInfo"/>; the JSON Schema states the same numbers (a test keeps them equal).</summary>
public static class RadioLimits
{
    /// <summary>Lowest RSRP, dBm (TS 38.133 Table 10.1.6.1-1 reports down to -156 dBm; LTE -140).</summary>
    public const double MinRsrpDbm = -160;

    /// <summary>Highest RSRP, dBm (TS 38.133: -31 dBm; LTE -44).</summary>
    public const double MaxRsrpDbm = -30;

    /// <summary>Lowest RSRQ, dB (TS 38.133 Table 10.1.11.1-1: -43 dB; LTE extended range -34 dB).</summary>
    public const double MinRsrqDb = -45;

    /// <summary>Highest RSRQ, dB (TS 38.133: 20 dB).</summary>
    public const double MaxRsrqDb = 20;

    /// <summary>Lowest SINR, dB (TS 38.133 Table 10.1.16.1-1: -23 dB).</summary>
    public const double MinSinrDb = -25;

    /// <summary>Highest SINR, dB (TS 38.133: 40 dB).</summary>
    public const double MaxSinrDb = 40;
}
