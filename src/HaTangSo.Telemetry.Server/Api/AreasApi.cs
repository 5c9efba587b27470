using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>Areas: the built-in ones (province, former province, former district, commune) and operators' custom ones.</summary>
internal static class AreasApi
{
    public static RouteGroupBuilder MapAreasApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/areas").WithTags("Areas");
        group.MapGet("/", ListAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("Areas of a province with their communes (province=, kind=province|former-province|former-district|commune|custom)");
        group.MapPost("/", CreateAsync).RequireAuthorization(ApiRoles.Operator).WithSummary("Creates (or replaces) a custom area: a named set of communes of one province");
        group.MapPut("/custom/{code}", ReplaceAsync).RequireAuthorization(ApiRoles.Operator).WithSummary("Replaces a custom area's name and communes");
        group.MapDelete("/custom/{code}", DeleteAsync).RequireAuthorization(ApiRoles.Operator).WithSummary("Deletes a custom area (its history stays)");
        return group;
    }

    private static async Task<Results<Ok<List<AreaRecord>>, ValidationProblem>> ListAsync(
        AreaStore store, string? province, string? kind, string? code, CancellationToken cancellationToken)
    {
        AreaKind? parsed = null;
        if (kind is not null)
        {
            if (!AreaKinds.TryParse(kind, out var k))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["kind"] = ["must be province, former-province, former-district, commune or custom"] });
            }

            parsed = k;
        }

        if (province is not null && Contracts.NameRules.Check(Contracts.NameKind.RegionCode, province) is { } bad)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["province"] = [bad] });
        }

        return TypedResults.Ok(await store.ListAsync(province, parsed, code, cancellationToken));
    }

    private static Task<Results<Created<AreaRecord>, ValidationProblem>> CreateAsync(
        AreaRequest request, AreaStore store, ILogger<AreaStore> logger, CancellationToken cancellationToken) =>
        SaveAsync(request.Code, request, store, logger, cancellationToken);

    private static Task<Results<Created<AreaRecord>, ValidationProblem>> ReplaceAsync(
        string code, AreaRequest request, AreaStore store, ILogger<AreaStore> logger, CancellationToken cancellationToken) =>
        SaveAsync(code, request, store, logger, cancellationToken);

    private static async Task<Results<Created<AreaRecord>, ValidationProblem>> SaveAsync(
        string? code, AreaRequest request, AreaStore store, ILogger<AreaStore> logger, CancellationToken cancellationToken)
    {
        var errors = AreaStore.Validate(code, request.ProvinceCode, request.Name, request.Description, request.Communes);
        if (errors.Count == 0)
        {
            errors = await store.SaveCustomAsync(code!, request.ProvinceCode!, request.Name!, request.Description, request.Communes!, cancellationToken);
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        logger.AreaSaved("custom", code!, request.Communes!.Count);
        var saved = (await store.ListAsync(request.ProvinceCode, AreaKind.Custom, code, cancellationToken)).Single();
        return TypedResults.Created($"/api/areas?kind=custom&code={code}", saved);
    }

    private static async Task<Results<NoContent, NotFound>> DeleteAsync(string code, AreaStore store, ILogger<AreaStore> logger, CancellationToken cancellationToken)
    {
        if (!await store.DeleteCustomAsync(code, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        logger.AreaDeleted("custom", code);
        return TypedResults.NoContent();
    }
}

/// <summary>The body of <c>POST /api/areas</c> and <c>PUT /api/areas/custom/{code}</c>.</summary>
/// <param name="Code">The area's id (a-z, 0-9, '-'); taken from the route on PUT.</param>
/// <param name="ProvinceCode">The current province its communes lie in.</param>
/// <param name="Name">Vietnamese name ("Vùng biên giới").</param>
/// <param name="Description">What it is, optional.</param>
/// <param name="Communes">Current commune codes.</param>
public sealed record AreaRequest(string? Code, string? ProvinceCode, string? Name, string? Description, IReadOnlyList<string>? Communes);
