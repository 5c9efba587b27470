using System.ComponentModel.DataAnnotations;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>The probe registry over HTTP: list, read, register or change a probe.</summary>
internal static class ProbesApi
{
    public static RouteGroupBuilder MapProbesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/probes").WithTags("Probes");
        group.MapGet("/", ListAsync).RequireAuthorization(ApiRoles.Viewer);
        group.MapGet("/status", StatusAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("Every probe with when it was last heard of and its queue depth");
        group.MapGet("/{id}", GetAsync).RequireAuthorization(ApiRoles.Viewer);
        group.MapPut("/{id}", PutAsync).RequireAuthorization(ApiRoles.Operator);
        return group;
    }

    private static async Task<Ok<IReadOnlyList<ProbeLocation>>> ListAsync(RegistryStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.LoadLocationsAsync(cancellationToken));

    private static async Task<Ok<List<ProbeStatusRecord>>> StatusAsync(ProbeStatusStore store, string? province, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(province, cancellationToken));

    private static async Task<Results<Ok<ProbeLocation>, NotFound>> GetAsync(string id, RegistryStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(id, cancellationToken) is { } found ? TypedResults.Ok(found.Location) : TypedResults.NotFound();

    private static async Task<Results<NoContent, ValidationProblem>> PutAsync(
        string id,
        ProbeRequest request,
        RegistryStore store,
        ProbeDirectory directory,
        ILogger<RegistryStore> logger,
        CancellationToken cancellationToken)
    {
        var errors = request.Validate(id);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var registration = request.ToRegistration(id);
        try
        {
            await store.UpsertProbeAsync(registration, cancellationToken);
        }
        catch (RegistryException ex)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["communeCode"] = [ex.Message] });
        }

        await directory.ReloadAsync(cancellationToken);
        logger.ProbeRegistered(id, request.CommuneCode, registration.Links.Count);
        return TypedResults.NoContent();
    }
}

/// <summary>The body of <c>PUT /api/probes/{id}</c>.</summary>
/// <param name="CommuneCode">General Statistics Office code of the commune the probe sits in.</param>
/// <param name="Description">Free text.</param>
/// <param name="ScheduleMinutes">Test interval per link (default 15).</param>
/// <param name="Enabled">False revokes the probe (default true).</param>
/// <param name="Links">The office's links.</param>
public sealed record ProbeRequest(
    [property: Required] string CommuneCode,
    string? Description,
    int? ScheduleMinutes,
    bool? Enabled,
    IReadOnlyList<ProbeLink>? Links)
{
    internal Dictionary<string, string[]> Validate(string id)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Topics.IsValidProbeId(id))
        {
            errors["id"] = ["A probe id matches ^[a-z0-9][a-z0-9-]{2,63}$."];
        }

        if (string.IsNullOrWhiteSpace(CommuneCode))
        {
            errors["communeCode"] = ["Required."];
        }

        if (ScheduleMinutes is < 1 or > 1440)
        {
            errors["scheduleMinutes"] = ["Between 1 and 1440."];
        }

        var links = Links ?? [];
        if (links.Count == 0 || links.Select(l => l.Name).Distinct(StringComparer.Ordinal).Count() != links.Count)
        {
            errors["links"] = ["At least one link, with distinct names."];
        }
        else if (links.Any(l => !AccessKind.All.Contains(l.Access) || string.IsNullOrWhiteSpace(l.Operator) || string.IsNullOrWhiteSpace(l.Technology)))
        {
            errors["links"] = ["Each link needs access 'fixed' or 'mobile', an operator and a technology."];
        }
        else if (links.Any(l => l.AdvertisedDownloadMbps is <= 0 || l.AdvertisedUploadMbps is <= 0))
        {
            errors["links"] = ["Advertised speeds are positive."];
        }

        return errors;
    }

    internal ProbeRegistration ToRegistration(string id) => new(
        id,
        CommuneCode,
        Description,
        TimeSpan.FromMinutes(ScheduleMinutes ?? 15),
        Enabled ?? true,
        Links ?? []);
}
