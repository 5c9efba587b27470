using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Compliance;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>The latest compliance verdicts, per province or district, and the QCVN 34 verdict per fixed link.</summary>
internal static class ComplianceApi
{
    public static RouteGroupBuilder MapComplianceApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/compliance").WithTags("Compliance").RequireAuthorization(ApiRoles.Viewer);
        group.MapGet("/qcvn34", Qcvn34Async).WithSummary("The latest QCVN 34:2022 verdict of every fixed probe link");
        group.MapGet("/{province}", ProvinceAsync)
            .WithSummary("Latest verdict of every area × access (window=rolling|month; area=former-district|commune|province|former-province|custom)");
        group.MapGet("/{province}/{district}", DistrictAsync).WithSummary("Latest verdict of one former district (pre-2025 code)");
        group.MapGet("/{province}/{kind}/{code}", AreaAsync).WithSummary("Latest verdict of one area");
        return group;
    }

    private static Task<Results<Ok<List<ComplianceRecord>>, ValidationProblem>> ProvinceAsync(
        [NameRule(NameKind.RegionCode)] string province, [NameRule(NameKind.AreaId)] string? window, [NameRule(NameKind.AreaId)] string? area,
        ComplianceStore store, CancellationToken cancellationToken) =>
        LatestAsync(province, area, null, window, store, cancellationToken);

    private static Task<Results<Ok<List<ComplianceRecord>>, ValidationProblem>> DistrictAsync(
        [NameRule(NameKind.RegionCode)] string province, [NameRule(NameKind.RegionCode)] string district, [NameRule(NameKind.AreaId)] string? window,
        ComplianceStore store, CancellationToken cancellationToken) =>
        LatestAsync(province, "former-district", district, window, store, cancellationToken);

    private static Task<Results<Ok<List<ComplianceRecord>>, ValidationProblem>> AreaAsync(
        [NameRule(NameKind.RegionCode)] string province, [NameRule(NameKind.AreaId)] string kind, [NameRule(NameKind.AreaId)] string code,
        [NameRule(NameKind.AreaId)] string? window, ComplianceStore store, CancellationToken cancellationToken) =>
        LatestAsync(province, kind, code, window, store, cancellationToken);

    private static async Task<Results<Ok<List<ComplianceRecord>>, ValidationProblem>> LatestAsync(
        string province, string? kind, string? code, string? window, ComplianceStore store, CancellationToken cancellationToken)
    {
        window ??= "rolling";
        if (window is not ("rolling" or "month"))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["window"] = ["must be rolling or month"] });
        }

        AreaKind? parsed = null;
        if (kind is not null)
        {
            if (!AreaKinds.TryParse(kind, out var k))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["area"] = ["must be former-district, commune, province, former-province or custom"] });
            }

            parsed = k;
        }

        return TypedResults.Ok(await store.LatestAsync(window, province, parsed, code, cancellationToken));
    }

    private static async Task<Ok<List<Qcvn34Record>>> Qcvn34Async([NameRule(NameKind.ProbeId)] string? probe, Qcvn34Evaluator evaluator, CancellationToken cancellationToken) =>
        TypedResults.Ok(await evaluator.LatestAsync(probe, cancellationToken));
}
