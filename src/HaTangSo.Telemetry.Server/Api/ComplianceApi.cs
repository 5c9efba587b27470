using HaTangSo.Telemetry.Contracts;
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
        group.MapGet("/{province}", ProvinceAsync).WithSummary("Latest verdict of every district × access (window=rolling|month)");
        group.MapGet("/{province}/{district}", DistrictAsync).WithSummary("Latest verdict of one district");
        return group;
    }

    private static Task<Results<Ok<List<ComplianceRecord>>, ValidationProblem>> ProvinceAsync(
        [NameRule(NameKind.RegionCode)] string province, string? window, ComplianceStore store, CancellationToken cancellationToken) =>
        LatestAsync(province, null, window, store, cancellationToken);

    private static Task<Results<Ok<List<ComplianceRecord>>, ValidationProblem>> DistrictAsync(
        [NameRule(NameKind.RegionCode)] string province, [NameRule(NameKind.RegionCode)] string district, string? window, ComplianceStore store, CancellationToken cancellationToken) =>
        LatestAsync(province, district, window, store, cancellationToken);

    private static async Task<Results<Ok<List<ComplianceRecord>>, ValidationProblem>> LatestAsync(
        string province, string? district, string? window, ComplianceStore store, CancellationToken cancellationToken)
    {
        window ??= "rolling";
        if (window is not ("rolling" or "month"))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["window"] = ["must be rolling or month"] });
        }

        return TypedResults.Ok(await store.LatestAsync(window, province, district, cancellationToken));
    }

    private static async Task<Ok<List<Qcvn34Record>>> Qcvn34Async([NameRule(NameKind.ProbeId)] string? probe, Qcvn34Evaluator evaluator, CancellationToken cancellationToken) =>
        TypedResults.Ok(await evaluator.LatestAsync(probe, cancellationToken));
}
