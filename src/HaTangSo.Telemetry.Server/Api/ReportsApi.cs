using System.Globalization;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Reports;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>Monthly reports: list, download (CSV, XLSX, PNG chart), and generate on demand.</summary>
internal static class ReportsApi
{
    public static RouteGroupBuilder MapReportsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/reports").WithTags("Reports");
        group.MapGet("/", ListAsync).RequireAuthorization(ApiRoles.Viewer).WithSummary("Stored reports, newest month first");
        group.MapGet("/{province}/{month}.{kind}", DownloadAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("A stored report as csv, xlsx or png (the chart); month is yyyy-MM");
        group.MapPost("/{province}/{month}", GenerateAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Builds (or rebuilds) the report of a province and month now");
        return group;
    }

    private static async Task<Ok<List<ReportInfo>>> ListAsync(ReportStore store, [NameRule(NameKind.RegionCode)] string? province, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(province, cancellationToken));

    private static async Task<Results<FileContentHttpResult, NotFound, ValidationProblem>> DownloadAsync(
        [NameRule(NameKind.RegionCode)] string province, string month, string kind, ReportStore store, CancellationToken cancellationToken)
    {
        if (ParseMonth(month) is not { } first || !ReportStore.Files.TryGetValue(kind, out var file))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["month"] = ["use /api/reports/{province}/{yyyy-MM}.{csv|xlsx|png}"] });
        }

        var bytes = await store.GetFileAsync(province, first, kind, cancellationToken);
        return bytes is null ? TypedResults.NotFound() : TypedResults.File(bytes, file.ContentType, $"hatangso-{province}-{month}.{kind}");
    }

    private static async Task<Results<Ok<MonthlyReport>, ValidationProblem, NotFound>> GenerateAsync(
        [NameRule(NameKind.RegionCode)] string province, string month, MonthlyReportJob job, Areas.AreaStore areas, CancellationToken cancellationToken)
    {
        if (ParseMonth(month) is not { } first)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["month"] = ["must be yyyy-MM"] });
        }

        if (!(await areas.ProvincesAsync(cancellationToken)).Any(p => p.Code == province))
        {
            return TypedResults.NotFound();
        }

        return TypedResults.Ok(await job.GenerateAsync(province, first, cancellationToken));
    }

    private static DateOnly? ParseMonth(string month) =>
        DateOnly.TryParseExact(month, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first) ? first : null;
}
