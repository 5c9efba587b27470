using System.Globalization;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Reports;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// Reports: monthly (<c>yyyy-MM</c>: CSV, XLSX, PNG chart, JSON) and yearly (<c>yyyy</c>: the print-ready A4 page, XLSX,
/// JSON); list, download, and build on demand. Vietnamese first; <c>lang=en</c> gives the CSV's headers and labels in
/// English (the XLSX carries both, the page is Vietnamese).
/// </summary>
internal static class ReportsApi
{
    public static RouteGroupBuilder MapReportsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/reports").WithTags("Reports");
        group.MapGet("/", ListAsync).RequireAuthorization(ApiRoles.Viewer).WithSummary("Stored monthly reports, newest month first");
        group.MapGet("/{province}/{period}.{kind}", DownloadAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("A stored report: month yyyy-MM as csv, xlsx, png (the chart) or json; year yyyy as html (A4, Vietnamese), xlsx or json; lang=vi|en for csv");
        group.MapGet("/{province}/{period}", ModelAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("A stored report's figures (JSON): yyyy for the yearly statistical report, yyyy-MM for a month");
        group.MapPost("/{province}/{period}", GenerateAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Builds (or rebuilds) the report of a province for a month (yyyy-MM) or a year (yyyy) now");
        return group;
    }

    /// <summary>The yearly report as a page under <c>/overview/</c>, where a browser may send the key through HTTP Basic.</summary>
    public static RouteHandlerBuilder MapYearlyReportPage(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/overview/{province}/{year}", PageAsync).RequireAuthorization(ApiRoles.Viewer).ExcludeFromDescription();

    private static async Task<Ok<List<ReportInfo>>> ListAsync(ReportStore store, [NameRule(NameKind.RegionCode)] string? province, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(province, cancellationToken));

    private static async Task<Results<FileContentHttpResult, ContentHttpResult, NotFound, ValidationProblem>> DownloadAsync(
        [NameRule(NameKind.RegionCode)] string province, string period, string kind, [NameRule(NameKind.AreaId)] string? lang, ReportStore store,
        CancellationToken cancellationToken)
    {
        if (VerdictTexts.ParseLang(lang) is not { } language)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["lang"] = ["must be vi or en"] });
        }

        if (ParseYear(period) is { } year)
        {
            if (kind is not ("html" or "xlsx" or "json"))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["period"] = ["use /api/reports/{province}/{yyyy}.{html|xlsx|json}"] });
            }

            if (await store.GetYearlyAsync(province, year, cancellationToken) is not { } stored)
            {
                return TypedResults.NotFound();
            }

            var (report, xlsx) = stored;
            return kind switch
            {
                "html" => TypedResults.Content(YearlyReportPage.Render(report), "text/html; charset=utf-8"),
                "xlsx" => TypedResults.File(xlsx, ReportStore.Files["xlsx"].ContentType, $"hatangso-{province}-{year}.xlsx"),
                _ => TypedResults.File(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(report, ReportJsonContext.Default.YearlyReport), "application/json"),
            };
        }

        if (ParseMonth(period) is not { } first || !(ReportStore.Files.ContainsKey(kind) || kind == "json"))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["month"] = ["use /api/reports/{province}/{yyyy-MM}.{csv|xlsx|png|json} or /{yyyy}.{html|xlsx|json}"] });
        }

        if (kind == "json" || (kind == "csv" && language == Lang.En))
        {
            if (await store.GetModelAsync(province, first, cancellationToken) is not { } model)
            {
                return TypedResults.NotFound();
            }

            return kind == "json"
                ? TypedResults.File(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(model, ReportJsonContext.Default.MonthlyReport), "application/json")
                : TypedResults.File(model.ToCsv(Lang.En), ReportStore.Files["csv"].ContentType, $"hatangso-{province}-{period}-en.csv");
        }

        var bytes = await store.GetFileAsync(province, first, kind, cancellationToken);
        return bytes is null ? TypedResults.NotFound() : TypedResults.File(bytes, ReportStore.Files[kind].ContentType, $"hatangso-{province}-{period}.{kind}");
    }

    private static async Task<Results<FileContentHttpResult, NotFound, ValidationProblem>> ModelAsync(
        [NameRule(NameKind.RegionCode)] string province, string period, ReportStore store, CancellationToken cancellationToken)
    {
        if (ParseYear(period) is { } year)
        {
            return await store.GetYearlyAsync(province, year, cancellationToken) is { } stored
                ? TypedResults.File(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(stored.Report, ReportJsonContext.Default.YearlyReport), "application/json")
                : TypedResults.NotFound();
        }

        if (ParseMonth(period) is not { } first)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["period"] = ["must be yyyy or yyyy-MM"] });
        }

        return await store.GetModelAsync(province, first, cancellationToken) is { } model
            ? TypedResults.File(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(model, ReportJsonContext.Default.MonthlyReport), "application/json")
            : TypedResults.NotFound();
    }

    private static async Task<Results<Ok<MonthlyReport>, Ok<YearlyReport>, ValidationProblem, NotFound>> GenerateAsync(
        [NameRule(NameKind.RegionCode)] string province, string period, MonthlyReportJob monthly, YearlyReportJob yearly, Areas.AreaStore areas,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var year = ParseYear(period);
        var month = ParseMonth(period);
        if (year is null && month is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["month"] = ["must be yyyy-MM (a month) or yyyy (a year)"] });
        }

        if (year is { } y && (y < 2000 || y > VietnamTime.DayOf(time.GetUtcNow()).Year))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["period"] = ["must be a year from 2000 to this year"] });
        }

        if (!(await areas.ProvincesAsync(cancellationToken)).Any(p => p.Code == province))
        {
            return TypedResults.NotFound();
        }

        return year is { } whole
            ? TypedResults.Ok(await yearly.GenerateAsync(province, whole, cancellationToken))
            : TypedResults.Ok(await monthly.GenerateAsync(province, month!.Value, cancellationToken));
    }

    private static async Task<Results<ContentHttpResult, NotFound, ValidationProblem>> PageAsync(
        [NameRule(NameKind.RegionCode)] string province, string year, ReportStore store, CancellationToken cancellationToken)
    {
        if (ParseYear(year) is not { } y)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["year"] = ["must be yyyy"] });
        }

        return await store.GetYearlyAsync(province, y, cancellationToken) is { } stored
            ? TypedResults.Content(YearlyReportPage.Render(stored.Report), "text/html; charset=utf-8")
            : TypedResults.NotFound();
    }

    private static DateOnly? ParseMonth(string month) =>
        DateOnly.TryParseExact(month, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first) ? first : null;

    private static int? ParseYear(string period) =>
        period.Length == 4 && int.TryParse(period, NumberStyles.None, CultureInfo.InvariantCulture, out var year) && year >= 2000 ? year : null;
}
