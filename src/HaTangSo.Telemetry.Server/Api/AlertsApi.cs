using System.Security.Claims;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Alerts.Confirmation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>Alerts: the open ones, the history, and acknowledging.</summary>
internal static class AlertsApi
{
    public static RouteGroupBuilder MapAlertsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/alerts").WithTags("Alerts");
        group.MapGet("/", ListAsync).RequireAuthorization(ApiRoles.Viewer).WithSummary("Alerts, newest first (state=open|all)");
        group.MapPost("/{id:long}/acknowledge", AcknowledgeAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Marks an alert as seen (it stays open until the condition clears)");
        group.MapGet("/confirmations", ConfirmationsAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("Confirmation rounds against the off-net server, newest first (state=pending|found|no_result|cancelled|all)");
        return group;
    }

    private static async Task<Results<Ok<List<AlertRecord>>, ValidationProblem>> ListAsync(
        AlertStore store, string? state, [NameRule(NameKind.RegionCode)] string? province, int? limit, CancellationToken cancellationToken)
    {
        state ??= "open";
        if (state is not ("open" or "all"))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["state"] = ["must be open or all"] });
        }

        return TypedResults.Ok(await store.ListAsync(state == "open", province, Math.Clamp(limit ?? 200, 1, 5000), cancellationToken));
    }

    private static async Task<Results<Ok<List<ConfirmationRecord>>, ValidationProblem>> ConfirmationsAsync(
        ConfirmationStore store, string? state, int? limit, CancellationToken cancellationToken)
    {
        ConfirmationState? wanted = null;
        if (state is not (null or "all"))
        {
            if (Enum.GetValues<ConfirmationState>().FirstOrDefault(s => s.ToName() == state) is var parsed && parsed.ToName() != state)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["state"] = ["must be pending, found, no_result, cancelled or all"] });
            }

            wanted = parsed;
        }

        return TypedResults.Ok(await store.ListAsync(wanted, Math.Clamp(limit ?? 200, 1, 5000), cancellationToken));
    }

    private static async Task<Results<NoContent, NotFound>> AcknowledgeAsync(long id, ClaimsPrincipal user, AlertStore store, CancellationToken cancellationToken) =>
        await store.AcknowledgeAsync(id, user.Identity?.Name ?? "operator", cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();
}
