using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// The speed-test servers results may name (<c>server</c>): list, read, register or change one. A result naming a
/// server that is not registered, or is disabled, is quarantined; a throughput above a server's capacity is implausible.
/// </summary>
internal static class ServersApi
{
    public static RouteGroupBuilder MapServersApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/servers").WithTags("Speed-test servers");
        group.MapGet("/", ListAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("The registered speed-test servers");
        group.MapGet("/{id}", GetAsync).RequireAuthorization(ApiRoles.Viewer);
        group.MapPut("/{id}", PutAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Registers a speed-test server or changes its name, URL, capacity, state (enabled: false refuses its results) or role (primary or confirmation)");
        return group;
    }

    private static async Task<Ok<IReadOnlyList<SpeedTestServer>>> ListAsync(SpeedTestServerStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(cancellationToken));

    private static async Task<Results<Ok<SpeedTestServer>, NotFound>> GetAsync(string id, SpeedTestServerStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(id, cancellationToken) is { } server ? TypedResults.Ok(server) : TypedResults.NotFound();

    private static async Task<Results<Created<SpeedTestServer>, Ok<SpeedTestServer>, ValidationProblem>> PutAsync(
        string id,
        ServerRequest request,
        SpeedTestServerStore store,
        ProbeDirectory directory,
        ILogger<SpeedTestServerStore> logger,
        CancellationToken cancellationToken)
    {
        var errors = request.Validate(id);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var created = await store.UpsertAsync(
            id, request.Name!, request.BaseUrl!, request.CapacityMbps!.Value, request.Enabled ?? true, cancellationToken, request.Role ?? ServerRole.Primary);
        await directory.ReloadAsync(cancellationToken);
        logger.SpeedTestServerSaved(id, request.CapacityMbps.Value, request.Enabled ?? true);
        var saved = (await store.FindAsync(id, cancellationToken))!;
        return created ? TypedResults.Created($"/api/servers/{id}", saved) : TypedResults.Ok(saved);
    }
}

/// <summary>The body of <c>PUT /api/servers/{id}</c>.</summary>
/// <param name="Name">Its name for people, Vietnamese first (the rule of an area name: letters, digits, spaces, <c>- ' . , ( ) /</c>).</param>
/// <param name="BaseUrl">Where probes reach it: an absolute http or https URL.</param>
/// <param name="CapacityMbps">Its network capacity in Mb/s (above 0, at most 100,000): faster results are implausible.</param>
/// <param name="Enabled">False refuses results that name it (default true).</param>
/// <param name="Role">
/// <c>primary</c> (default: its results count in verdicts) or <c>confirmation</c> (an off-net server: its results are
/// stored and shown, never counted in a verdict, and confirm an area's <c>below</c> before the alert opens).
/// </param>
public sealed record ServerRequest(string? Name, Uri? BaseUrl, double? CapacityMbps, bool? Enabled, ServerRole? Role = null)
{
    internal Dictionary<string, string[]> Validate(string id)
    {
        var errors = new Dictionary<string, string[]>();
        if (NameRules.Check(NameKind.ServerId, id) is { } idRule)
        {
            errors["id"] = [$"The server id {idRule}."];
        }

        if (NameRules.Check(NameKind.AreaName, Name) is { } nameRule)
        {
            errors["name"] = [$"The name {nameRule}."];
        }

        if (BaseUrl is not { IsAbsoluteUri: true } url || url.Scheme is not ("http" or "https") || url.OriginalString.Length > 512)
        {
            errors["baseUrl"] = ["An absolute http or https URL (at most 512 characters)."];
        }

        if (CapacityMbps is not (> 0 and <= ResultLimits.MaxMbps))
        {
            errors["capacityMbps"] = [$"A capacity in Mb/s above 0 and at most {ResultLimits.MaxMbps:0}."];
        }

        if (Role is { } role && !Enum.IsDefined(role))
        {
            errors["role"] = ["primary or confirmation."];
        }

        return errors;
    }
}
