using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Probe.Radio;

/// <summary>Turns the snapshots taken before and after a test into the result's <see cref="RadioInfo"/>.</summary>
internal static class RadioFacts
{
    /// <summary>
    /// The radio the test ran on. When the two snapshots disagree on the technology, the older generation is reported
    /// (part of the test may have run on it, so it must not count as the newer) and <see cref="RadioInfo.Changed"/> is
    /// true; a change of band or cell sets it too. Signal values are the mean of the two, NR's on 5G and LTE's
    /// otherwise; values outside the 3GPP reporting ranges (<see cref="RadioLimits"/>) are dropped, not sent.
    /// </summary>
    public static RadioInfo? Combine(RadioSnapshot? before, RadioSnapshot? after)
    {
        if (before is null && after is null)
        {
            return null;
        }

        var technology = before is null ? after!.AccessTechnology
            : after is null ? before.AccessTechnology
            : Generation(before.AccessTechnology) <= Generation(after.AccessTechnology) ? before.AccessTechnology : after.AccessTechnology;
        bool? changed = before is null || after is null ? null
            : before.AccessTechnology != after.AccessTechnology || Differs(before.Band, after.Band) || Differs(before.CellId, after.CellId);
        var signals = new[] { Signal(before), Signal(after) }.OfType<SignalValues>().ToList();
        return new RadioInfo
        {
            AccessTechnology = technology,
            Changed = changed,
            OperatorCode = after?.OperatorCode ?? before?.OperatorCode,
            Band = before?.Band ?? after?.Band,
            CellId = before?.CellId ?? after?.CellId,
            RsrpDbm = Mean(signals.Select(s => s.RsrpDbm), RadioLimits.MinRsrpDbm, RadioLimits.MaxRsrpDbm),
            RsrqDb = Mean(signals.Select(s => s.RsrqDb), RadioLimits.MinRsrqDb, RadioLimits.MaxRsrqDb),
            SinrDb = Mean(signals.Select(s => s.SinrDb), RadioLimits.MinSinrDb, RadioLimits.MaxSinrDb),
        };
    }

    private static int Generation(string technology)
    {
        for (var i = 0; i < RadioTechnology.All.Count; i++)
        {
            if (RadioTechnology.All[i] == technology)
            {
                return i;
            }
        }

        return 0;
    }

    private static bool Differs(string? a, string? b) => a is not null && b is not null && !string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static SignalValues? Signal(RadioSnapshot? snapshot) => snapshot is null ? null
        : RadioTechnology.Is5G(snapshot.AccessTechnology) ? snapshot.Nr ?? snapshot.Lte : snapshot.Lte;

    private static double? Mean(IEnumerable<double?> values, double min, double max)
    {
        var valid = values.OfType<double>().Where(v => v >= min && v <= max).ToList();
        return valid.Count == 0 ? null : Math.Round(valid.Average(), 1);
    }
}
