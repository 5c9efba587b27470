using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Compliance;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>Targets are data: list, create, update, retire, import a file.</summary>
internal static class TargetsApi
{
    public static RouteGroupBuilder MapTargetsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/targets").WithTags("Targets");
        group.MapGet("/", ListAsync).RequireAuthorization(ApiRoles.Viewer).WithSummary("The targets (retired ones with includeRetired=true)");
        group.MapPost("/", CreateAsync).RequireAuthorization(ApiRoles.Operator).WithSummary("Adds a target");
        group.MapPut("/{id:int}", UpdateAsync).RequireAuthorization(ApiRoles.Operator).WithSummary("Replaces a target's fields");
        group.MapPost("/{id:int}/retire", RetireAsync).RequireAuthorization(ApiRoles.Operator).WithSummary("Retires a target (kept for history)");
        group.MapPost("/import", ImportAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Loads a list of targets: same scope, metric, statistic and start updates, others are added");
        return group;
    }

    private static async Task<Ok<List<Target>>> ListAsync(TargetStore store, [NameRule(NameKind.RegionCode)] string? province, bool? includeRetired, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(province, includeRetired ?? false, cancellationToken));

    private static async Task<Results<Created<Target>, ValidationProblem>> CreateAsync(
        TargetDefinition definition, TargetStore store, CancellationToken cancellationToken)
    {
        var target = definition.ToTarget();
        try
        {
            var created = await store.CreateAsync(target, cancellationToken);
            return TypedResults.Created($"/api/targets/{created.Id}", created);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return UnknownRegion();
        }
    }

    private static async Task<Results<NoContent, NotFound, ValidationProblem>> UpdateAsync(
        int id, TargetDefinition definition, TargetStore store, CancellationToken cancellationToken)
    {
        var target = definition.ToTarget(id);
        try
        {
            return await store.UpdateAsync(target, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return UnknownRegion();
        }
    }

    private static async Task<Results<NoContent, NotFound>> RetireAsync(int id, TargetStore store, TimeProvider time, CancellationToken cancellationToken) =>
        await store.RetireAsync(id, time.GetUtcNow(), cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();

    private static async Task<Results<Ok<ImportResult>, ValidationProblem>> ImportAsync(
        List<TargetDefinition> definitions, TargetStore store, CancellationToken cancellationToken)
    {
        // Each entry was checked (and a null one refused) by the API's validation step, its path [i].field.
        var targets = definitions.Select(d => d.ToTarget()).ToList();
        try
        {
            var (added, updated) = await store.ImportAsync(targets, cancellationToken);
            return TypedResults.Ok(new ImportResult(added, updated));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return UnknownRegion();
        }
    }

    private static ValidationProblem UnknownRegion() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["provinceCode"] = ["unknown province or district code (see the region catalogue)"] });
}

/// <summary>What an import changed.</summary>
public sealed record ImportResult(int Added, int Updated);
