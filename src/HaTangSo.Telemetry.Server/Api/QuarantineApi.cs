using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Quarantine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>What the server refused, and why.</summary>
internal static class QuarantineApi
{
    public static RouteGroupBuilder MapQuarantineApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/quarantine").WithTags("Quarantine");
        group.MapGet("/", ListAsync).RequireAuthorization(ApiRoles.Viewer);
        return group;
    }

    private static async Task<Ok<IReadOnlyList<QuarantineRecord>>> ListAsync(
        QuarantineStore store,
        [NameRule(NameKind.ProbeId)] string? probeId,
        int? limit,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(probeId, Math.Clamp(limit ?? 100, 1, 1000), cancellationToken));
}
