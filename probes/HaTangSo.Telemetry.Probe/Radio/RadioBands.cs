namespace HaTangSo.Telemetry.Probe.Radio;

/// <summary>
/// The band of a serving cell from its downlink channel number, for the bands used in Viet Nam and the region (a
/// channel outside these gives no band rather than a guess). LTE: 3GPP TS 36.101 Table 5.7.3-1 (N_Offs-DL ranges);
/// NR: TS 38.101-1 Table 5.4.2.3-1 (NR-ARFCN ranges). NR bands overlap (n78 lies inside n77): the narrower, the one
/// deployed here, is named.
/// </summary>
internal static class RadioBands
{
    private static readonly (int Band, int First, int Last)[] s_lte =
    [
        (1, 0, 599), (3, 1200, 1949), (5, 2400, 2649), (7, 2750, 3449), (8, 3450, 3799), (20, 6150, 6449),
        (28, 9210, 9659), (38, 37750, 38249), (40, 38650, 39649), (41, 39650, 41589),
    ];

    // Narrowest first, so an overlap resolves to the band that is actually deployed (n78 before n77).
    private static readonly (int Band, int First, int Last)[] s_nr =
    [
        (1, 422000, 434000), (3, 361000, 376000), (5, 173800, 178800), (8, 185000, 192000), (28, 151600, 160600),
        (41, 499200, 537999), (78, 620000, 653333), (79, 693334, 733333), (77, 620000, 680000),
    ];

    /// <summary><c>B3</c> for an E-UTRA ARFCN in band 3, or null.</summary>
    public static string? FromEarfcn(int earfcn) => Find(s_lte, earfcn) is { } band ? "B" + band : null;

    /// <summary><c>n78</c> for an NR-ARFCN in band n78, or null.</summary>
    public static string? FromNrArfcn(int nrArfcn) => Find(s_nr, nrArfcn) is { } band ? "n" + band : null;

    private static int? Find((int Band, int First, int Last)[] table, int channel)
    {
        foreach (var (band, first, last) in table)
        {
            if (channel >= first && channel <= last)
            {
                return band;
            }
        }

        return null;
    }
}
