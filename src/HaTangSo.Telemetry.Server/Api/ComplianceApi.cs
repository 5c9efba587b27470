using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Compliance;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// The latest compliance verdicts (per province, area, operator and window, with the 95 % interval), the operator
/// ranking per area, and QCVN 34 per fixed link and per area. Machine fields are invariant; <c>labels</c> carry the
/// human-readable texts in Vietnamese, or English with <c>lang=en</c>.
/// </summary>
internal static class ComplianceApi
{
    private const string AllRows = "*";

    public static RouteGroupBuilder MapComplianceApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/compliance").WithTags("Compliance").RequireAuthorization(ApiRoles.Viewer);
        group.MapGet("/qcvn34", Qcvn34Async).WithSummary("The latest QCVN 34:2022 verdict of every fixed probe link (mean, median and 80/80 as % of advertised)");
        group.MapGet("/{province}", ProvinceAsync)
            .WithSummary("Latest verdict of every area × access (window=rolling|month|busy; area=former-district|commune|province|former-province|custom; operator=all (default)|<operator>|*; lang=vi|en)");
        group.MapGet("/{province}/operators", RankingAsync).WithSummary("Operators ranked per area × access, with their samples and probe links");
        group.MapGet("/{province}/qcvn34", Qcvn34AreasAsync).WithSummary("The share of fixed links meeting QCVN 34 per area and operator");
        group.MapGet("/{province}/{district}", DistrictAsync).WithSummary("Latest verdict of one former district (pre-2025 code)");
        group.MapGet("/{province}/{kind}/{code}", AreaAsync).WithSummary("Latest verdict of one area");
        return group;
    }

    private static Task<Results<Ok<List<ComplianceRecord>>, ValidationProblem>> ProvinceAsync(
        [NameRule(NameKind.RegionCode)] string province, [NameRule(NameKind.AreaId)] string? window, [NameRule(NameKind.AreaId)] string? area,
        string? @operator, [NameRule(NameKind.AreaId)] string? lang, ComplianceStore store, CancellationToken cancellationToken) =>
        LatestAsync(province, area, null, window, @operator, lang, store, cancellationToken);

    private static Task<Results<Ok<List<ComplianceRecord>>, ValidationProblem>> DistrictAsync(
        [NameRule(NameKind.RegionCode)] string province, [NameRule(NameKind.RegionCode)] string district, [NameRule(NameKind.AreaId)] string? window,
        string? @operator, [NameRule(NameKind.AreaId)] string? lang, ComplianceStore store, CancellationToken cancellationToken) =>
        LatestAsync(province, "former-district", district, window, @operator, lang, store, cancellationToken);

    private static Task<Results<Ok<List<ComplianceRecord>>, ValidationProblem>> AreaAsync(
        [NameRule(NameKind.RegionCode)] string province, [NameRule(NameKind.AreaId)] string kind, [NameRule(NameKind.AreaId)] string code,
        [NameRule(NameKind.AreaId)] string? window, string? @operator, [NameRule(NameKind.AreaId)] string? lang, ComplianceStore store,
        CancellationToken cancellationToken) =>
        LatestAsync(province, kind, code, window, @operator, lang, store, cancellationToken);

    private static async Task<Results<Ok<List<ComplianceRecord>>, ValidationProblem>> LatestAsync(
        string province, string? kind, string? code, string? window, string? op, string? lang, ComplianceStore store, CancellationToken cancellationToken)
    {
        if (Parse(window, kind, op, lang) is { } problem)
        {
            return problem;
        }

        AreaKind? parsed = kind is null ? null : AreaKinds.TryParse(kind, out var k) ? k : null;
        var language = VerdictTexts.ParseLang(lang)!.Value;
        var records = await store.LatestAsync(window ?? ComplianceWindow.Rolling, province, parsed, code, cancellationToken,
            op == AllRows ? null : op ?? ComplianceWindow.AllOperators);
        return TypedResults.Ok(records.Select(r => r with { Labels = VerdictTexts.Labels(r, language) }).ToList());
    }

    private static async Task<Results<Ok<List<OperatorRanking>>, ValidationProblem>> RankingAsync(
        [NameRule(NameKind.RegionCode)] string province, [NameRule(NameKind.AreaId)] string? window, [NameRule(NameKind.AreaId)] string? area,
        [NameRule(NameKind.AreaId)] string? lang, ComplianceStore store, CancellationToken cancellationToken)
    {
        if (Parse(window, area, null, lang) is { } problem)
        {
            return problem;
        }

        AreaKind? parsed = area is null ? null : AreaKinds.TryParse(area, out var k) ? k : null;
        var language = VerdictTexts.ParseLang(lang)!.Value;
        var records = await store.LatestAsync(window ?? ComplianceWindow.Rolling, province, parsed, null, cancellationToken, op: null);
        var ranking = records.Where(r => r.Operator != ComplianceWindow.AllOperators)
            .GroupBy(r => (r.AreaKind, r.AreaCode, r.AreaName, r.Access, r.Technology))
            .Select(g => new OperatorRanking(g.Key.AreaKind, g.Key.AreaCode, g.Key.AreaName, g.Key.Access, g.Key.Technology,
                [.. g.OrderBy(r => r.Value is null ? 1 : 0).ThenBy(r => r.Metric == "latency" ? r.Value ?? 0 : -(r.Value ?? 0)).ThenBy(r => r.Operator, StringComparer.Ordinal)
                    .Select((r, i) => new RankedVerdict(i + 1, r.Operator, r.Metric, r.Statistic, r.Weighting, r.Value, r.CiLow, r.CiHigh, r.Samples, r.Links ?? 0,
                        r.Status, VerdictTexts.Labels(r, language)))]))
            .OrderBy(r => r.AreaKind, StringComparer.Ordinal).ThenBy(r => r.AreaCode, StringComparer.Ordinal).ThenBy(r => r.Access, StringComparer.Ordinal)
            .ToList();
        return TypedResults.Ok(ranking);
    }

    private static async Task<Ok<List<Qcvn34AreaShare>>> Qcvn34AreasAsync(
        [NameRule(NameKind.RegionCode)] string province, Qcvn34Evaluator evaluator, CancellationToken cancellationToken) =>
        TypedResults.Ok(await evaluator.AreaSharesAsync(province, cancellationToken));

    private static async Task<Ok<List<Qcvn34Record>>> Qcvn34Async([NameRule(NameKind.ProbeId)] string? probe, Qcvn34Evaluator evaluator, CancellationToken cancellationToken) =>
        TypedResults.Ok(await evaluator.LatestAsync(probe, cancellationToken));

    private static ValidationProblem? Parse(string? window, string? kind, string? op, string? lang)
    {
        var errors = new Dictionary<string, string[]>();
        if (window is not null && !ComplianceWindow.IsValid(window))
        {
            errors["window"] = ["must be rolling, month or busy"];
        }

        if (kind is not null && !AreaKinds.TryParse(kind, out _))
        {
            errors["area"] = ["must be former-district, commune, province, former-province or custom"];
        }

        if (op is not null && op != AllRows && op != ComplianceWindow.AllOperators && NameRules.Check(NameKind.Operator, op) is { } reason)
        {
            errors["operator"] = [$"must be all, * or an operator name: {reason}"];
        }

        if (VerdictTexts.ParseLang(lang) is null)
        {
            errors["lang"] = ["must be vi or en"];
        }

        return errors.Count == 0 ? null : TypedResults.ValidationProblem(errors);
    }
}

/// <summary>The operators of one area × access, best first.</summary>
public sealed record OperatorRanking(string AreaKind, string AreaCode, string AreaName, string Access, string Technology, IReadOnlyList<RankedVerdict> Operators);

/// <summary>One operator's place in an area × access: its value, interval, samples, probe links and status.</summary>
public sealed record RankedVerdict(
    int Rank, string Operator, string? Metric, string? Statistic, string Weighting, double? Value, double? CiLow, double? CiHigh, int Samples, int Links,
    string Status, ComplianceLabels Labels);
