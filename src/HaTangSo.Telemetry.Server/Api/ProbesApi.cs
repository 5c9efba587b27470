using System.ComponentModel.DataAnnotations;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Server.Provisioning;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

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
        group.MapGet("/placements", PlacementsAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("How each probe was placed in the current catalogue (placement=registered|translated|ambiguous|unplaced)");
        group.MapGet("/{id}", GetAsync).RequireAuthorization(ApiRoles.Viewer);
        group.MapPut("/{id}", PutAsync).RequireAuthorization(ApiRoles.Operator);
        group.MapPost("/{id}/enrol", EnrolAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Registers the probe and issues its broker credentials and configuration file (shown once)");
        group.MapPost("/{id}/revoke", RevokeAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Deletes the probe's broker credentials (disconnecting it) and refuses its results; past results stay");
        return group;
    }

    private static async Task<Ok<List<ProbePlacementRecord>>> PlacementsAsync(RegistryStore store, string? placement, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.PlacementsAsync(placement, cancellationToken));

    private static async Task<Ok<IReadOnlyList<ProbeLocation>>> ListAsync(RegistryStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.LoadLocationsAsync(cancellationToken));

    private static async Task<Results<Ok<EnrolmentResult>, ValidationProblem, ProblemHttpResult>> EnrolAsync(
        string id, ProbeRequest request, ProbeEnrolment enrolment, IOptions<ProvisioningOptions> provisioning, ILogger<ProbeEnrolment> logger,
        CancellationToken cancellationToken)
    {
        if (!provisioning.Value.Enabled)
        {
            return NotConfigured();
        }

        var errors = request.Validate(id);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        try
        {
            var result = await enrolment.EnrolAsync(request.ToRegistration(id), cancellationToken);
            logger.ProbeEnrolled(id, request.CommuneCode);
            return TypedResults.Ok(result);
        }
        catch (RegistryException ex)
        {
            return CommuneRefused(ex);
        }
    }

    /// <summary>400 naming <c>communeCode</c>; the communes to pick from (a split or unmapped old commune) as <c>candidates</c>.</summary>
    internal static ValidationProblem CommuneRefused(RegistryException ex) => TypedResults.ValidationProblem(
        new Dictionary<string, string[]> { ["communeCode"] = [ex.Message] },
        extensions: ex.Candidates.Count == 0 ? null : new Dictionary<string, object?> { ["candidates"] = ex.Candidates });

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RevokeAsync(
        string id, ProbeEnrolment enrolment, IOptions<ProvisioningOptions> provisioning, ILogger<ProbeEnrolment> logger, CancellationToken cancellationToken)
    {
        if (!provisioning.Value.Enabled)
        {
            return NotConfigured();
        }

        if (!await enrolment.RevokeAsync(id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        logger.ProbeRevoked(id);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NotConfigured() => TypedResults.Problem(
        "Probe enrolment needs the broker's dynamic-security administrator: set Provisioning:AdminUsername and Provisioning:AdminPassword.",
        statusCode: StatusCodes.Status503ServiceUnavailable);

    private static async Task<Ok<List<ProbeStatusRecord>>> StatusAsync(ProbeStatusStore store, string? province, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(province, cancellationToken));

    private static async Task<Results<Ok<ProbeLocation>, NotFound>> GetAsync(string id, RegistryStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(id, cancellationToken) is { } found ? TypedResults.Ok(found.Location) : TypedResults.NotFound();

    private static async Task<Results<NoContent, Ok<CommunePlacement>, ValidationProblem>> PutAsync(
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
        CommunePlacement placement;
        try
        {
            placement = await store.UpsertProbeAsync(registration, cancellationToken);
        }
        catch (RegistryException ex)
        {
            return CommuneRefused(ex);
        }

        await directory.ReloadAsync(cancellationToken);
        logger.ProbeRegistered(id, placement.CommuneCode, registration.Links.Count);
        if (!placement.Translated)
        {
            return TypedResults.NoContent();
        }

        // An old code: the answer says where the probe now sits.
        logger.ProbeCodeTranslated(id, request.CommuneCode, placement.CommuneCode);
        return TypedResults.Ok(placement);
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
