using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Quarantine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>What the server refused, and why.</summary>
internal static class QuarantineApi
{
    public static RouteGroupBuilder MapQuarantineApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/quarantine").WithTags("Quarantine");
        group.MapGet("/", ListAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("Refused messages, the most recently seen first (one row per probe, reason kind and payload, with a counter)");
        return group;
    }

    private static async Task<Results<Ok<IReadOnlyList<QuarantineRecord>>, ValidationProblem>> ListAsync(
        QuarantineStore store,
        [NameRule(NameKind.ProbeId)] string? probeId,
        [NameRule(NameKind.AreaId)] string? kind,
        int? limit,
        CancellationToken cancellationToken)
    {
        RefusalKind? reasonKind = null;
        if (kind is not null)
        {
            var index = RefusalKinds.All.Select(k => k.Label()).ToList().IndexOf(kind);
            if (index < 0)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                {
                    ["kind"] = [$"One of: {string.Join(", ", RefusalKinds.All.Select(k => k.Label()))}."],
                });
            }

            reasonKind = RefusalKinds.All[index];
        }

        return TypedResults.Ok(await store.ListAsync(probeId, reasonKind, Math.Clamp(limit ?? 100, 1, 1000), cancellationToken));
    }
}
