using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Compliance;
using Microsoft.AspNetCore.Http.HttpResults;
using HaTangSo.Telemetry.Server.Areas;

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
        TargetDefinition definition, TargetStore store, AreaStore areas, CancellationToken cancellationToken)
    {
        var target = definition.ToTarget();
        if ((Invalid(target) ?? await UnknownScopeAsync(target, areas, string.Empty, cancellationToken)) is { } problem)
        {
            return problem;
        }

        var created = await store.CreateAsync(target, cancellationToken);
        return TypedResults.Created($"/api/targets/{created.Id}", created);
    }

    private static async Task<Results<NoContent, NotFound, ValidationProblem>> UpdateAsync(
        int id, TargetDefinition definition, TargetStore store, AreaStore areas, CancellationToken cancellationToken)
    {
        var target = definition.ToTarget(id);
        if ((Invalid(target) ?? await UnknownScopeAsync(target, areas, string.Empty, cancellationToken)) is { } problem)
        {
            return problem;
        }

        return await store.UpdateAsync(target, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    private static async Task<Results<NoContent, NotFound>> RetireAsync(int id, TargetStore store, TimeProvider time, CancellationToken cancellationToken) =>
        await store.RetireAsync(id, time.GetUtcNow(), cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();

    private static async Task<Results<Ok<ImportResult>, ValidationProblem>> ImportAsync(
        List<TargetDefinition> definitions, TargetStore store, AreaStore areas, CancellationToken cancellationToken)
    {
        var targets = new List<Target>();
        foreach (var (definition, index) in definitions.Select((d, i) => (d, i)))
        {
            var target = definition.ToTarget();
            var errors = target.Validate();
            if (errors.Count > 0)
            {
                return TypedResults.ValidationProblem(errors.ToDictionary(e => $"[{index}].{e.Key}", e => e.Value));
            }

            if (await UnknownScopeAsync(target, areas, $"[{index}].", cancellationToken) is { } unknown)
            {
                return unknown;
            }

            targets.Add(target);
        }

        var (added, updated) = await store.ImportAsync(targets, cancellationToken);
        return TypedResults.Ok(new ImportResult(added, updated));
    }

    private static ValidationProblem? Invalid(Target target) =>
        target.Validate() is { Count: > 0 } errors ? TypedResults.ValidationProblem(errors) : null;

    /// <summary>A scope must be an area (GET /api/areas) of the target's province.</summary>
    internal static async Task<ValidationProblem?> UnknownScopeAsync(Target target, AreaStore areas, string prefix, CancellationToken cancellationToken)
    {
        var (kind, code) = target.Scope;
        if (!AreaKinds.TryParse(kind, out var parsed) || (await areas.ListAsync(target.ProvinceCode, parsed, code, cancellationToken)).Count > 0)
        {
            return null;
        }

        var province = (await areas.ListAsync(target.ProvinceCode, AreaKind.Province, target.ProvinceCode, cancellationToken)).Count > 0;
        return TypedResults.ValidationProblem(province
            ? new Dictionary<string, string[]> { [prefix + "areaCode"] = [$"no {kind} area with this code in province {target.ProvinceCode} (see GET /api/areas)"] }
            : new Dictionary<string, string[]> { [prefix + "provinceCode"] = ["not a province of the current catalogue (see GET /api/areas?kind=province)"] });
    }
}

/// <summary>What an import changed.</summary>
public sealed record ImportResult(int Added, int Updated);
