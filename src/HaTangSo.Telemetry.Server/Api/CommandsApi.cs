using System.Text.Json.Serialization;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Server.Fleet;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Server.Releases;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// Commands to a probe over HTTP (issue 15.2): measure now, upgrade (15.5), and the command's state. The server makes the id (UUID v7),
/// stores the command, and publishes it (QoS 1, expiring) on the probe's commands topic.
/// </summary>
internal static class CommandsApi
{
    public static void MapCommandsApi(this IEndpointRouteBuilder routes)
    {
        var probes = routes.MapGroup("/api/probes").WithTags("Fleet");
        probes.MapPost("/{id}/measure", MeasureAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Asks the probe to test one link (body: {\"link\": name}) or every link now, outside its schedule; answers the command");
        probes.MapPost("/{id}/upgrade", UpgradeAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Asks the probe to install a signed release (body: {\"version\": \"0.2.0\"}, absent: the latest) and restart into its trial; answers the command");
        probes.MapGet("/{id}/commands/{commandId:guid}", GetAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("A command's state: queued, delivered, done (its results stored), expired, refused or failed (with the reason)");
    }

    private static async Task<Results<Accepted<CommandRecord>, NotFound, ValidationProblem>> MeasureAsync(
        [NameRule(NameKind.ProbeId)] string id, MeasureRequest? request, RegistryStore registry, CommandStore commands, ConfigPublisher publisher,
        SpeedTestServerStore servers, IOptions<FleetOptions> options, TimeProvider time, ILogger<ConfigPublisher> logger, CancellationToken cancellationToken)
    {
        if (await registry.FindAsync(id, cancellationToken) is not { } found || !found.Location.Enabled)
        {
            return TypedResults.NotFound();
        }

        // Allow-list: a link the registry knows for this probe.
        var links = found.Location.Links;
        if (request?.Link is { } link && !links.Any(l => l.Name == link))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["link"] = [$"'{link}' is not a link of probe {id} ({string.Join(", ", links.Select(l => l.Name))})"],
            });
        }

        // Allow-list: a registered, enabled server (the probe itself refuses one its configuration does not name).
        if (request?.Server is { } server && (await servers.FindAsync(server, cancellationToken)) is not { Enabled: true })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["server"] = [$"'{server}' is not a registered, enabled speed-test server (GET /api/servers)"],
            });
        }

        var now = time.GetUtcNow();
        var command = new CommandRecord(
            Guid.CreateVersion7(now), id, CommandKinds.Name(CommandKind.Measure), request?.Link, CommandStates.Queued, null, [],
            request?.Link is null ? Math.Max(1, links.Count) : 1, now, now + options.Value.CommandExpiry, null, null, null, request?.Server);
        await commands.AddAsync(command, cancellationToken);
        logger.CommandCreated(command.CommandId, command.Kind, id, command.ExpiresAt);
        publisher.Wake();
        return TypedResults.Accepted($"/api/probes/{id}/commands/{command.CommandId}", command);
    }

    private static async Task<Results<Accepted<CommandRecord>, NotFound, ValidationProblem, ProblemHttpResult>> UpgradeAsync(
        [NameRule(NameKind.ProbeId)] string id, UpgradeRequest? request, RegistryStore registry, CommandStore commands, ConfigPublisher publisher,
        ReleaseStore releases, IOptions<FleetOptions> options, TimeProvider time, ILogger<ConfigPublisher> logger, CancellationToken cancellationToken)
    {
        if (await registry.FindAsync(id, cancellationToken) is not { } found || !found.Location.Enabled)
        {
            return TypedResults.NotFound();
        }

        if (!releases.Enabled)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict, title: "This server offers no probe releases",
                detail: "Set Releases:Directory and sign a release into it (hts-server release sign) before ordering upgrades.");
        }

        // Allow-list: a complete, signed release this server offers (for some architecture: the probe picks its own, and
        // refuses, naming why, a version missing for it).
        var offered = ProbeArchitectures.All.Select(a => (Architecture: a, Latest: releases.Latest(a))).ToArray();
        var version = request?.Version is { } text ? ReleaseVersion.Parse(text) : null;
        if (version is null ? offered.All(o => o.Latest is null) : !ProbeArchitectures.All.Any(a => releases.Find(a, version, ReleaseFile.Manifest) is not null))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["version"] = [$"no complete release {version?.Text ?? "(latest)"} in the releases directory (latest: {string.Join(", ", offered.Select(o => $"{o.Architecture.Name()} {o.Latest?.Text ?? "none"}"))})"],
            });
        }

        var now = time.GetUtcNow();
        var command = new CommandRecord(
            Guid.CreateVersion7(now), id, CommandKinds.Name(CommandKind.Upgrade), null, CommandStates.Queued, null, [], 1, now, now + options.Value.CommandExpiry,
            null, null, null, Version: version?.Text, AllowDowngrade: request?.AllowDowngrade ?? false);
        await commands.AddAsync(command, cancellationToken);
        logger.CommandCreated(command.CommandId, command.Kind, id, command.ExpiresAt);
        publisher.Wake();
        return TypedResults.Accepted($"/api/probes/{id}/commands/{command.CommandId}", command);
    }

    private static async Task<Results<Ok<CommandRecord>, NotFound>> GetAsync(
        [NameRule(NameKind.ProbeId)] string id, Guid commandId, CommandStore commands, CancellationToken cancellationToken) =>
        await commands.GetAsync(id, commandId, cancellationToken) is { } command ? TypedResults.Ok(command) : TypedResults.NotFound();
}

/// <summary>The body of <c>POST /api/probes/{id}/upgrade</c> (optional).</summary>
/// <param name="Version">The release to install (Semantic Version, no build metadata); absent: the latest offered.</param>
/// <param name="AllowDowngrade">Install even when the release is not newer than the probe's version (a deliberate rollback).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record UpgradeRequest(string? Version = null, bool? AllowDowngrade = null) : IValidatableRequest
{
    void IValidatableRequest.Validate(RequestErrors errors, string prefix)
    {
        if (Version is not null && !ReleaseVersion.TryParse(Version, allowBuildMetadata: false, out _))
        {
            errors.Add(RequestErrors.Path(prefix, "version"), "must be a Semantic Version without build metadata (0.2.0, 0.3.0-rc.1)");
        }
    }
}

/// <summary>The body of <c>POST /api/probes/{id}/measure</c> (optional).</summary>
/// <param name="Link">The link to test; absent: every link of the probe.</param>
/// <param name="Server">The registered speed-test server to measure against (one the probe's configuration names); absent: its primary.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record MeasureRequest(string? Link = null, string? Server = null) : IValidatableRequest
{
    void IValidatableRequest.Validate(RequestErrors errors, string prefix)
    {
        errors.Name(RequestErrors.Path(prefix, "link"), NameKind.LinkName, Link, required: false);
        errors.Name(RequestErrors.Path(prefix, "server"), NameKind.ServerId, Server, required: false);
    }
}
