using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>
/// A plan's target: over an area (a scope: today's province, the province or a district as it was when the plan was
/// written, a commune, an operator's area), an access type (and optionally a technology), a metric and a statistic must
/// reach a threshold while the target is in force. It applies to every evaluated area inside its scope; the smallest
/// scope wins.
/// </summary>
/// <param name="Id">Database id (0 before it is stored).</param>
/// <param name="ProvinceCode">General Statistics Office code of the current province the target belongs to.</param>
/// <param name="DistrictCode">Shorthand for a former-district scope (older clients); null otherwise.</param>
/// <param name="Access"><c>fixed</c> or <c>mobile</c>.</param>
/// <param name="Technology">Only results of this technology (e.g. <c>5g</c>), or null for all.</param>
/// <param name="Metric"><c>download</c>, <c>upload</c> (Mb/s, higher is better) or <c>latency</c> (ms, lower is better).</param>
/// <param name="Statistic"><c>median</c>, <c>mean</c>, <c>pNN</c>, or <c>share_at_least</c> (percentage of samples at or above <paramref name="ShareValue"/>).</param>
/// <param name="ShareValue">For <c>share_at_least</c>: the value a sample must reach.</param>
/// <param name="Threshold">The figure to reach (a percentage for <c>share_at_least</c>).</param>
/// <param name="ValidFrom">First day in force.</param>
/// <param name="ValidTo">First day no longer in force, or null.</param>
/// <param name="Source">Where the number comes from (the plan's number and date).</param>
/// <param name="RetiredAt">When an operator retired it; a retired target is not applied.</param>
/// <param name="AreaKind">The scope's kind (<c>province</c>, <c>former-province</c>, <c>former-district</c>, <c>commune</c>, <c>custom</c>); null: from <paramref name="DistrictCode"/>, else today's province.</param>
/// <param name="AreaCode">The scope's code.</param>
/// <param name="Operator">Only this operator's links (its rows beside the all-operator row), or null for every operator.</param>
/// <param name="Weighting"><c>link</c> (default: each probe link's statistic first, then across links, so every commune
/// office counts once) or <c>pooled</c> (every sample counts once).</param>
public sealed record Target(
    int Id, string ProvinceCode, string? DistrictCode, string Access, string? Technology, string Metric, string Statistic,
    double? ShareValue, double Threshold, DateOnly ValidFrom, DateOnly? ValidTo, string Source, DateTimeOffset? RetiredAt = null,
    string? AreaKind = null, string? AreaCode = null, string? Operator = null, string Weighting = "link")
{
    /// <summary>The area the target was written for.</summary>
    public (string Kind, string Code) Scope => AreaKind is not null && AreaCode is not null ? (AreaKind, AreaCode)
        : DistrictCode is not null ? ("former-district", DistrictCode) : ("province", ProvinceCode);

    /// <summary>Latency targets are met from below, the others from above.</summary>
    public bool LowerIsBetter => Metric == "latency";

    /// <summary>True when the target is in force at <paramref name="time"/>.</summary>
    public bool InForceAt(DateTimeOffset time) => RetiredAt is null && Start <= time && (End is null || time < End);

    /// <summary>The instant it comes into force: 00:00 Vietnam time (UTC+7) of <see cref="ValidFrom"/>.</summary>
    public DateTimeOffset Start => VietnamTime.StartOf(ValidFrom);

    /// <summary>The instant it stops being in force, or null.</summary>
    public DateTimeOffset? End => ValidTo is { } to ? VietnamTime.StartOf(to) : null;

    /// <summary>Whether <paramref name="value"/> meets the threshold.</summary>
    public bool IsMet(double value) => LowerIsBetter ? value <= Threshold : value >= Threshold;

    /// <summary>Whether <paramref name="value"/> is back past the threshold by <paramref name="marginPct"/> percent.</summary>
    public bool IsRecovered(double value, double marginPct) =>
        LowerIsBetter ? value <= Threshold * (1 - (marginPct / 100)) : value >= Threshold * (1 + (marginPct / 100));

    /// <summary>The highest threshold or share value accepted (Mb/s or ms).</summary>
    public const double MaxValue = 1_000_000;

    /// <summary>Problems with the target's fields, by field name (empty when valid). Names follow <see cref="NameRules"/>.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        void Name(string field, NameKind kind, string? value)
        {
            if (NameRules.Check(kind, value) is { } reason)
            {
                var rule = NameRules.Describe(kind);
                errors[field] = [reason.Contains(rule, StringComparison.Ordinal) ? reason : $"{reason}; must be {rule}"];
            }
        }

        Name("provinceCode", NameKind.RegionCode, ProvinceCode);
        if (DistrictCode is not null)
        {
            Name("districtCode", NameKind.RegionCode, DistrictCode);
        }

        if (Technology is not null)
        {
            Name("technology", NameKind.Technology, Technology);
        }

        if (Operator is not null)
        {
            Name("operator", NameKind.Operator, Operator);
        }

        if (Weighting is not ("link" or "pooled"))
        {
            errors["weighting"] = ["must be link or pooled"];
        }

        if (Access is not ("fixed" or "mobile"))
        {
            errors["access"] = ["must be fixed or mobile"];
        }

        if (Metric is not ("download" or "upload" or "latency"))
        {
            errors["metric"] = ["must be download, upload or latency"];
        }

        var percentile = Statistic.Length is 2 or 3 && Statistic[0] == 'p' && int.TryParse(Statistic.AsSpan(1), out var p) && p is > 0 and < 100;
        if (!percentile && Statistic is not ("median" or "mean" or "share_at_least"))
        {
            errors["statistic"] = ["must be median, mean, p1..p99 or share_at_least"];
        }

        if (Statistic == "share_at_least" && ShareValue is not > 0)
        {
            errors["shareValue"] = ["share_at_least needs the value a sample must reach"];
        }
        else if (ShareValue is { } share && (!double.IsFinite(share) || share <= 0 || share > MaxValue))
        {
            errors["shareValue"] = [$"must be a number above 0 and at most {MaxValue}"];
        }

        if (!double.IsFinite(Threshold) || Threshold < 0 || Threshold > MaxValue || (Statistic == "share_at_least" && Threshold > 100))
        {
            errors["threshold"] = [$"must be a number from 0 to {MaxValue} (a percentage for share_at_least)"];
        }

        if (ValidTo is { } to && to <= ValidFrom)
        {
            errors["validTo"] = ["must be after validFrom"];
        }

        if (AreaKind is not null && !Areas.AreaKinds.TryParse(AreaKind, out _))
        {
            errors["areaKind"] = ["must be province, former-province, former-district, commune or custom"];
        }

        if ((AreaKind is null) != (AreaCode is null))
        {
            errors["areaCode"] = ["areaKind and areaCode go together"];
        }
        else if (AreaCode is not null && HaTangSo.Telemetry.Contracts.NameRules.Check(
            AreaKind == "custom" ? HaTangSo.Telemetry.Contracts.NameKind.AreaId : HaTangSo.Telemetry.Contracts.NameKind.RegionCode, AreaCode) is { } code)
        {
            errors["areaCode"] = [code];
        }

        if (string.IsNullOrWhiteSpace(Source))
        {
            errors["source"] = ["name the plan the target comes from"];
        }
        else
        {
            Name("source", NameKind.Text, Source);
        }

        return errors;
    }
}
