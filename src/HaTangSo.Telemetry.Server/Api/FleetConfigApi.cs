using System.Globalization;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Server.Fleet;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// The measurement configuration over HTTP (issue 15.1): the province default and each probe's overrides. Reads answer
/// an <c>ETag</c> (the version); a change must send it back in <c>If-Match</c> (RFC 9110, 13.1.1), so two operators do
/// not overwrite each other silently: a stale version answers 412, a missing one 428.
/// </summary>
internal static class FleetConfigApi
{
    /// <summary>The probe id the province default is checked as (it has the rules of a probe's configuration).</summary>
    private const string DefaultProbeId = "province-default";

    public static void MapFleetConfigApi(this IEndpointRouteBuilder routes)
    {
        var config = routes.MapGroup("/api/config").WithTags("Fleet");
        config.MapGet("/default", GetDefaultAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("The province-wide default measurement configuration (ETag: its version)");
        config.MapPut("/default", PutDefaultAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Replaces the default (If-Match: its version); every probe gets a new configuration version");
        var probes = routes.MapGroup("/api/probes").WithTags("Fleet");
        probes.MapGet("/{id}/config", GetAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("A probe's overrides, the effective configuration, what was published and what the probe applied");
        probes.MapPut("/{id}/config", PutAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Replaces a probe's overrides (If-Match: its version); published retained to the probe");
    }

    private static async Task<Ok<DefaultConfigResponse>> GetDefaultAsync(FleetConfigStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        var current = await store.GetDefaultAsync(cancellationToken);
        response.Headers.ETag = ETag(current.Version);
        return TypedResults.Ok(new DefaultConfigResponse(current.Version, current.Settings, current.UpdatedAt));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> PutDefaultAsync(
        ConfigSettings settings, HttpRequest request, HttpResponse response, FleetConfigStore store, ConfigPublisher publisher,
        ILogger<ConfigPublisher> logger, CancellationToken cancellationToken)
    {
        if (ExpectedVersion(request) is not { } expected)
        {
            return PreconditionRequired();
        }

        var servers = await store.EnabledServersAsync(cancellationToken);
        if (settings.ToConfig(DefaultProbeId, 1, servers) is (null, var problems))
        {
            return Refused(problems);
        }

        var (outcome, version) = await store.PutDefaultAsync(settings, expected, cancellationToken);
        if (outcome != ConfigUpdate.Updated)
        {
            return Stale();
        }

        logger.DefaultConfigChanged(version);
        publisher.Wake();
        response.Headers.ETag = ETag(version);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ProbeConfigResponse>, NotFound>> GetAsync(
        [NameRule(NameKind.ProbeId)] string id, FleetConfigStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } record)
        {
            return TypedResults.NotFound();
        }

        var fallback = await store.GetDefaultAsync(cancellationToken);
        var (effective, problems) = record.Overrides.Over(fallback.Settings).ToConfig(id, record.Version, await store.EnabledServersAsync(cancellationToken));
        response.Headers.ETag = ETag(record.Version);
        return TypedResults.Ok(new ProbeConfigResponse(
            id, record.Version, record.Overrides, effective, problems.Count == 0 ? null : problems.ToDictionary(p => p.Field, p => p.Problem),
            fallback.Version, record.PublishedVersion, record.AppliedVersion, record.ConfigError));
    }

    private static async Task<Results<NoContent, NotFound, ValidationProblem, ProblemHttpResult>> PutAsync(
        [NameRule(NameKind.ProbeId)] string id, ConfigSettings overrides, HttpRequest request, HttpResponse response, FleetConfigStore store,
        ConfigPublisher publisher, ILogger<ConfigPublisher> logger, CancellationToken cancellationToken)
    {
        if (ExpectedVersion(request) is not { } expected)
        {
            return PreconditionRequired();
        }

        // The overrides must make a complete, valid configuration over the current default.
        var fallback = await store.GetDefaultAsync(cancellationToken);
        if (overrides.Over(fallback.Settings).ToConfig(id, expected + 1, await store.EnabledServersAsync(cancellationToken)) is (null, var problems))
        {
            return Refused(problems);
        }

        var (outcome, version) = await store.PutAsync(id, overrides, expected, cancellationToken);
        switch (outcome)
        {
            case ConfigUpdate.NotFound:
                return TypedResults.NotFound();
            case ConfigUpdate.VersionMismatch:
                return Stale();
        }

        logger.ProbeConfigChanged(id, version);
        publisher.Wake();
        response.Headers.ETag = ETag(version);
        return TypedResults.NoContent();
    }

    private static string ETag(long version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    /// <summary>The version in <c>If-Match: "N"</c>; null when absent or not one of our tags.</summary>
    private static long? ExpectedVersion(HttpRequest request)
    {
        var value = request.Headers.IfMatch.ToString().Trim();
        return value.Length > 2 && value[0] == '"' && value[^1] == '"'
            && long.TryParse(value.AsSpan(1, value.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version : null;
    }

    private static ValidationProblem Refused(List<ConfigProblem> problems) => TypedResults.ValidationProblem(
        problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Problem).ToArray()),
        title: "The configuration breaks the rules.");

    private static ProblemHttpResult PreconditionRequired() => TypedResults.Problem(
        "Send the version you read (the ETag of the GET) in If-Match, so a change made meanwhile is not overwritten.",
        statusCode: StatusCodes.Status428PreconditionRequired);

    private static ProblemHttpResult Stale() => TypedResults.Problem(
        "The configuration changed since you read it (If-Match is not its current version): read it again and reapply your change.",
        statusCode: StatusCodes.Status412PreconditionFailed);
}

/// <summary>The province default.</summary>
/// <param name="Version">Its version (also the ETag).</param>
/// <param name="Settings">Every field.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record DefaultConfigResponse(long Version, ConfigSettings Settings, DateTimeOffset UpdatedAt);

/// <summary>A probe's measurement configuration as the registry holds it and as the probe reports it.</summary>
/// <param name="ProbeId">The probe.</param>
/// <param name="Version">Version of its effective configuration (also the ETag).</param>
/// <param name="Overrides">Its own settings over the default.</param>
/// <param name="Effective">What it receives; null while incomplete (see <paramref name="Problems"/>).</param>
/// <param name="Problems">Why the effective configuration cannot be published, by field.</param>
/// <param name="DefaultVersion">The default's version it is based on.</param>
/// <param name="PublishedVersion">The version on the broker (retained); 0: never published.</param>
/// <param name="AppliedVersion">The version the probe says it runs (status); 0: its local probe.json; null: never said.</param>
/// <param name="ConfigError">Why the probe refused the last configuration it received.</param>
public sealed record ProbeConfigResponse(
    string ProbeId, long Version, ConfigSettings Overrides, MeasurementConfig? Effective, Dictionary<string, string>? Problems,
    long DefaultVersion, long PublishedVersion, long? AppliedVersion, string? ConfigError);
