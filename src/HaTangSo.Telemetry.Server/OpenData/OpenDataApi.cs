using System.Globalization;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaTangSo.Telemetry.Server.OpenData;

/// <summary>
/// <c>GET /api/open-data/{province}/{yyyy-MM}.csv</c> (streamed, one row per result) and <c>GET /api/open-data/schema.json</c>
/// (the table schema with the licence). Behind the viewer key unless <see cref="OpenDataOptions.AllowAnonymous"/>.
/// </summary>
internal static class OpenDataApi
{
    public static RouteGroupBuilder MapOpenDataApi(this IEndpointRouteBuilder routes, OpenDataOptions options)
    {
        var group = routes.MapGroup("/api/open-data").WithTags("Open data");
        if (options.AllowAnonymous)
        {
            group.AllowAnonymous();
        }
        else
        {
            group.RequireAuthorization(ApiRoles.Viewer);
        }

        group.MapGet("/schema.json", Schema).WithSummary("The open data's table schema (Frictionless Data), with the licence and the data dictionary");
        group.MapGet("/{province}/{file}", CsvAsync).WithSummary("One row per result of the month (yyyy-MM.csv): commune, access, operator, technology, hour, values; no probe id");
        return group;
    }

    private static FileContentHttpResult Schema(OpenDataExport export) =>
        TypedResults.File(export.Schema(), "application/schema+json", "hatangso-open-data-schema.json");

    private static async Task<Results<EmptyHttpResult, NotFound, ValidationProblem>> CsvAsync(
        [NameRule(NameKind.RegionCode)] string province, string file, OpenDataExport export, Areas.AreaStore areas, TimeProvider time,
        Microsoft.Extensions.Options.IOptions<OpenDataOptions> options, HttpContext context, CancellationToken cancellationToken)
    {
        if (!file.EndsWith(".csv", StringComparison.Ordinal)
            || !DateOnly.TryParseExact(file[..^4], "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = ["use /api/open-data/{province}/{yyyy-MM}.csv"] });
        }

        if (!(await areas.ProvincesAsync(cancellationToken)).Any(p => p.Code == province))
        {
            return TypedResults.NotFound();
        }

        var response = context.Response;
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.ContentDisposition = $"attachment; filename=\"hatangso-{province}-{month:yyyy-MM}.csv\"";
        // RFC 8288 links: the licence and the schema that describes the file.
        response.Headers.Link = $"<{options.Value.LicenceUrl}>; rel=\"license\", </api/open-data/schema.json>; rel=\"describedby\"";
        await export.WriteAsync(province, month, time.GetUtcNow(), response.Body, cancellationToken);
        return TypedResults.Empty;
    }
}
