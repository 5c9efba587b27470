using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
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
        [NameRule(NameKind.ProbeId)] string id, ProbeRequest request, ProbeEnrolment enrolment, ReservedNames reserved, IOptions<ProvisioningOptions> provisioning,
        ILogger<ProbeEnrolment> logger, CancellationToken cancellationToken)
    {
        if (!provisioning.Value.Enabled)
        {
            return NotConfigured();
        }

        if (reserved.Refusal(id) is { } refusal)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [refusal] });
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
        catch (NotAProbeException ex)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [ex.Message] });
        }
    }

    /// <summary>400 naming <c>communeCode</c>; the communes to pick from (a split or unmapped old commune) as <c>candidates</c>.</summary>
    internal static ValidationProblem CommuneRefused(RegistryException ex) => TypedResults.ValidationProblem(
        new Dictionary<string, string[]> { ["communeCode"] = [ex.Message] },
        extensions: ex.Candidates.Count == 0 ? null : new Dictionary<string, object?> { ["candidates"] = ex.Candidates });

    private static async Task<Results<NoContent, NotFound, ValidationProblem, ProblemHttpResult>> RevokeAsync(
        [NameRule(NameKind.ProbeId)] string id, ProbeEnrolment enrolment, ReservedNames reserved, IOptions<ProvisioningOptions> provisioning,
        ILogger<ProbeEnrolment> logger, CancellationToken cancellationToken)
    {
        if (!provisioning.Value.Enabled)
        {
            return NotConfigured();
        }

        // Checked before anything is looked up or changed: a reserved name never reaches the broker.
        if (reserved.Refusal(id) is { } refusal)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [refusal] });
        }

        try
        {
            if (await enrolment.RevokeAsync(id, cancellationToken) == RevokeOutcome.NotRegistered)
            {
                return TypedResults.NotFound();
            }
        }
        catch (NotAProbeException ex)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [ex.Message] });
        }

        logger.ProbeRevoked(id);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NotConfigured() => TypedResults.Problem(
        "Probe enrolment needs the broker's dynamic-security administrator: set Provisioning:AdminUsername and Provisioning:AdminPassword.",
        statusCode: StatusCodes.Status503ServiceUnavailable);

    private static async Task<Ok<List<ProbeStatusRecord>>> StatusAsync(ProbeStatusStore store, [NameRule(NameKind.RegionCode)] string? province, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(province, cancellationToken));

    private static async Task<Results<Ok<ProbeLocation>, NotFound>> GetAsync([NameRule(NameKind.ProbeId)] string id, RegistryStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(id, cancellationToken) is { } found ? TypedResults.Ok(found.Location) : TypedResults.NotFound();

    private static async Task<Results<NoContent, Ok<CommunePlacement>, ValidationProblem>> PutAsync(
        [NameRule(NameKind.ProbeId)] string id,
        ProbeRequest request,
        RegistryStore store,
        ProbeDirectory directory,
        ILogger<RegistryStore> logger,
        CancellationToken cancellationToken)
    {
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

/// <summary>The body of <c>PUT /api/probes/{id}</c> and <c>POST /api/probes/{id}/enrol</c>.</summary>
/// <param name="CommuneCode">General Statistics Office code of the commune the probe sits in.</param>
/// <param name="Description">Free text (<see cref="NameKind.Text"/>).</param>
/// <param name="ScheduleMinutes">
/// Test interval per link: when given, it is written as the probe's <c>scheduleMinutes</c> override in its measurement
/// configuration (<c>PUT /api/probes/{id}/config</c> is the place for it; kept here for existing scripts).
/// </param>
/// <param name="Enabled">False revokes the probe (default true).</param>
/// <param name="Links">The office's links.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ProbeRequest(
    [property: Required] string CommuneCode,
    string? Description = null,
    int? ScheduleMinutes = null,
    bool? Enabled = null,
    IReadOnlyList<ProbeLinkRequest?>? Links = null) : IValidatableRequest
{
    void IValidatableRequest.Validate(RequestErrors errors, string prefix)
    {
        errors.Name(RequestErrors.Path(prefix, "communeCode"), NameKind.RegionCode, CommuneCode);
        errors.Name(RequestErrors.Path(prefix, "description"), NameKind.Text, Description, required: false);
        if (ScheduleMinutes is < 1 or > 1440)
        {
            errors.Add(RequestErrors.Path(prefix, "scheduleMinutes"), "must be 1-1440 (minutes)");
        }

        var path = RequestErrors.Path(prefix, "links");
        if (Links is not { Count: > 0 })
        {
            errors.Add(path, "at least one link is required");
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Links.Count; i++)
        {
            if (Links[i] is not { } link)
            {
                errors.Add($"{path}[{i}]", "is missing (null)");
                continue;
            }

            ((IValidatableRequest)link).Validate(errors, $"{path}[{i}]");
            if (link.Name is not null && !names.Add(link.Name))
            {
                errors.Add($"{path}[{i}].name", "must be unique on the probe");
            }
        }
    }

    internal ProbeRegistration ToRegistration(string id) => new(
        id,
        CommuneCode,
        Description,
        ScheduleMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null,
        Enabled ?? true,
        [.. (Links ?? []).OfType<ProbeLinkRequest>().Select(l => l.ToLink())]);
}

/// <summary>One link in a <see cref="ProbeRequest"/>. The operator is stored in its canonical spelling
/// (<c>vinaphone</c> → <c>VNPT</c>), the technology in lower case, so ingestion compares against clean values.</summary>
/// <param name="Name">The probe's name for the link, as in its results (<see cref="NameKind.LinkName"/>).</param>
/// <param name="Access"><c>fixed</c> or <c>mobile</c>.</param>
/// <param name="Operator">The operator selling the line (<see cref="NameKind.Operator"/>).</param>
/// <param name="Technology"><c>ftth</c>, <c>xdsl</c>, <c>4g</c>, <c>5g</c>, ... (<see cref="NameKind.Technology"/>).</param>
/// <param name="AdvertisedDownloadMbps">The contracted download speed (for QCVN 34:2022/BTTTT).</param>
/// <param name="AdvertisedUploadMbps">The contracted upload speed.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ProbeLinkRequest(
    string Name,
    string Access,
    string Operator,
    string Technology,
    double? AdvertisedDownloadMbps = null,
    double? AdvertisedUploadMbps = null) : IValidatableRequest
{
    /// <summary>The fastest advertised speed accepted, in Mb/s (100 Gb/s).</summary>
    public const double MaxAdvertisedMbps = 100_000;

    void IValidatableRequest.Validate(RequestErrors errors, string prefix)
    {
        errors.Name(RequestErrors.Path(prefix, "name"), NameKind.LinkName, Name);
        if (Access is null || !AccessKind.All.Contains(Access))
        {
            errors.Add(RequestErrors.Path(prefix, "access"), "must be fixed or mobile");
        }

        errors.Name(RequestErrors.Path(prefix, "operator"), NameKind.Operator, LinkNames.Operator(Operator));
        errors.Name(RequestErrors.Path(prefix, "technology"), NameKind.Technology, LinkNames.Technology(Technology));
        errors.Range(RequestErrors.Path(prefix, "advertisedDownloadMbps"), AdvertisedDownloadMbps, 0, MaxAdvertisedMbps, exclusiveMin: true);
        errors.Range(RequestErrors.Path(prefix, "advertisedUploadMbps"), AdvertisedUploadMbps, 0, MaxAdvertisedMbps, exclusiveMin: true);
    }

    internal ProbeLink ToLink() => new(
        Name, Access, LinkNames.Operator(Operator)!, LinkNames.Technology(Technology)!, AdvertisedDownloadMbps, AdvertisedUploadMbps);
}
