using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Fleet.Rollouts;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Server.Releases;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// Staged roll-outs of a signed release (issue 15.5, "Nâng cấp theo đợt"): order one over a scope of the fleet in waves,
/// watch each wave's probes, pause, resume or cancel it. <see cref="RolloutRunner"/> issues the waves.
/// </summary>
internal static class RolloutsApi
{
    public static void MapRolloutsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/rollouts").WithTags("Fleet");
        group.MapPost("/", CreateAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Orders a staged roll-out: a release, a scope (the fleet, or probes/communes/areas), waves, and the failure threshold that halts it");
        group.MapGet("/", ListAsync).RequireAuthorization(ApiRoles.Viewer).WithSummary("The roll-outs, latest first");
        group.MapGet("/{id:guid}", GetAsync).RequireAuthorization(ApiRoles.Viewer)
            .WithSummary("A roll-out per wave: each probe's command, its state and its upgrade's outcome from its status");
        group.MapPost("/{id:guid}/pause", (Guid id, RolloutStore store, RolloutProbeStore probes, RolloutRunner runner, TimeProvider time, ILogger<RolloutRunner> logger, CancellationToken ct) =>
            MoveAsync(id, [RolloutStates.Running], RolloutStates.Paused, "paused by an operator", store, probes, runner, time, logger, ct))
            .RequireAuthorization(ApiRoles.Operator).WithSummary("Stops issuing waves (commands already sent stay with their probes)");
        group.MapPost("/{id:guid}/resume", (Guid id, RolloutStore store, RolloutProbeStore probes, RolloutRunner runner, TimeProvider time, ILogger<RolloutRunner> logger, CancellationToken ct) =>
            MoveAsync(id, [RolloutStates.Paused, RolloutStates.Halted], RolloutStates.Running, null, store, probes, runner, time, logger, ct))
            .RequireAuthorization(ApiRoles.Operator).WithSummary("Resumes a paused roll-out, or a halted one past its halted wave (its failures accepted)");
        group.MapPost("/{id:guid}/cancel", CancelAsync).RequireAuthorization(ApiRoles.Operator)
            .WithSummary("Ends the roll-out; its commands not yet on the broker are withdrawn");
    }

    private static async Task<Results<Created<RolloutView>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        RolloutRequest request, RegistryStore registry, AreaStore areas, ReleaseStore releases, NpgsqlDataSource dataSource, RolloutRunner runner,
        TimeProvider time, ILogger<RolloutRunner> logger, CancellationToken cancellationToken)
    {
        if (!releases.Enabled)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "This server offers no probe releases",
                detail: "Set Releases:Directory and sign a release into it (hts-server release sign) before ordering a roll-out.");
        }

        var errors = new RequestErrors();
        var version = ReleaseVersion.Parse(request.Version!);
        var architectures = Architectures(request, version, releases, errors);
        var probes = await ResolveScopeAsync(request.Scope!, registry, areas, errors, cancellationToken);
        if (!errors.IsEmpty)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The request breaks the API's rules.");
        }

        var now = time.GetUtcNow();
        var plan = WavePlanner.Plan(probes, request.Waves ?? [.. WaveSpec.Default], version.Text);
        var rollout = new RolloutRecord(
            Guid.CreateVersion7(now), version.Text, architectures.Select(a => a.Name()).ToArray(), request.Scope!.Describe(), plan.Select(w => w.Count).ToArray(),
            request.Threshold, TimeSpan.FromMinutes(request.ReportWithinMinutes ?? 360), RolloutStates.Running, null, -1, -1, now, now, null);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            try
            {
                await RolloutStore.AddAsync(connection, transaction, rollout, cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Another roll-out still holds the fleet",
                    detail: "One roll-out runs at a time: GET /api/rollouts shows the running, paused or halted one; cancel it first.");
            }

            await RolloutProbeStore.AddPlanAsync(connection, transaction, rollout.RolloutId, plan, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        // The scope may list thousands of probes: the log keeps its start (the API shows it whole).
        logger.RolloutCreated(rollout.RolloutId, rollout.Version, probes.Count, plan.Count,
            rollout.Scope.Length > 200 ? rollout.Scope[..200] + "…" : rollout.Scope, rollout.Threshold.Describe());
        runner.Wake();
        return TypedResults.Created($"/api/rollouts/{rollout.RolloutId}", RolloutViews.Build(rollout, [.. plan.SelectMany((w, i) =>
            w.Select(p => new RolloutProbe(p, i, null, null, null, null, null, null, null)))], now));
    }

    private static async Task<Ok<List<RolloutRecord>>> ListAsync(RolloutStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(cancellationToken));

    private static async Task<Results<Ok<RolloutView>, NotFound>> GetAsync(
        Guid id, RolloutStore store, RolloutProbeStore probes, TimeProvider time, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } rollout
            ? TypedResults.Ok(RolloutViews.Build(rollout, await probes.ListAsync(id, cancellationToken), time.GetUtcNow()))
            : TypedResults.NotFound();

    private static async Task<Results<Ok<RolloutView>, NotFound, ProblemHttpResult>> MoveAsync(
        Guid id, string[] from, string state, string? reason, RolloutStore store, RolloutProbeStore probes, RolloutRunner runner, TimeProvider time,
        ILogger<RolloutRunner> logger, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } rollout)
        {
            return TypedResults.NotFound();
        }

        if (!await store.MoveAsync(id, from, state, reason, time.GetUtcNow(), cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: $"The roll-out is {rollout.State}",
                detail: $"Only a roll-out that is {string.Join(" or ", from)} can become {state}.");
        }

        logger.RolloutMoved(id, state);
        runner.Wake();
        rollout = (await store.GetAsync(id, cancellationToken))!;
        return TypedResults.Ok(RolloutViews.Build(rollout, await probes.ListAsync(id, cancellationToken), time.GetUtcNow()));
    }

    private static async Task<Results<Ok<RolloutView>, NotFound, ProblemHttpResult>> CancelAsync(
        Guid id, RolloutStore store, RolloutProbeStore probes, Fleet.CommandStore commands, TimeProvider time, ILogger<RolloutRunner> logger,
        CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } rollout)
        {
            return TypedResults.NotFound();
        }

        if (!await store.MoveAsync(id, [.. RolloutStates.Active], RolloutStates.Cancelled, "cancelled by an operator", time.GetUtcNow(), cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: $"The roll-out is {rollout.State}", detail: "It has already ended.");
        }

        var members = await probes.ListAsync(id, cancellationToken);
        var withdrawn = await commands.WithdrawAsync(
            members.Select(p => p.CommandId).OfType<Guid>().ToArray(), "withdrawn: the roll-out was cancelled", cancellationToken);
        logger.RolloutCancelled(id, withdrawn);
        rollout = (await store.GetAsync(id, cancellationToken))!;
        return TypedResults.Ok(RolloutViews.Build(rollout, await probes.ListAsync(id, cancellationToken), time.GetUtcNow()));
    }

    private static ProbeArchitecture[] Architectures(RolloutRequest request, ReleaseVersion version, ReleaseStore releases, RequestErrors errors)
    {
        bool Offered(ProbeArchitecture a) => releases.Find(a, version, ReleaseFile.Manifest) is not null;
        if (request.Architectures is not { Length: > 0 } names)
        {
            var offered = ProbeArchitectures.All.Where(Offered).ToArray();
            if (offered.Length == 0)
            {
                errors.Add("version", $"no complete release {version.Text} in the releases directory (GET {ReleasesApi.Prefix}/)");
            }

            return offered;
        }

        var chosen = new List<ProbeArchitecture>();
        for (var i = 0; i < names.Length; i++)
        {
            // The request's validation already refused a name off the allow-list.
            if (ProbeArchitectures.TryParse(names[i], out var architecture) && Offered(architecture))
            {
                chosen.Add(architecture);
            }
            else
            {
                errors.Add($"architectures[{i}]", $"no complete release {version.Text} for {architecture.Name()} in the releases directory");
            }
        }

        return [.. chosen.Distinct()];
    }

    /// <summary>The enabled probes the scope names; every entry must name something registered (allow-list).</summary>
    private static async Task<IReadOnlyList<string>> ResolveScopeAsync(
        RolloutScope scope, RegistryStore registry, AreaStore areas, RequestErrors errors, CancellationToken cancellationToken)
    {
        var enabled = (await registry.LoadLocationsAsync(cancellationToken)).Where(p => p.Enabled).ToArray();
        if (scope.Fleet is true)
        {
            if (enabled.Length == 0)
            {
                errors.Add("scope.fleet", "no enabled probe is registered");
            }

            return [.. enabled.Select(p => p.ProbeId)];
        }

        var chosen = new HashSet<string>(StringComparer.Ordinal);
        var byId = enabled.ToDictionary(p => p.ProbeId, StringComparer.Ordinal);
        for (var i = 0; i < (scope.Probes?.Length ?? 0); i++)
        {
            if (byId.ContainsKey(scope.Probes![i]))
            {
                chosen.Add(scope.Probes[i]);
            }
            else
            {
                errors.Add($"scope.probes[{i}]", "is not a registered, enabled probe (GET /api/probes/status)");
            }
        }

        void AddCommunes(string path, IEnumerable<string> communes, string rule)
        {
            var set = communes.ToHashSet(StringComparer.Ordinal);
            var found = enabled.Where(p => set.Contains(p.CommuneCode)).Select(p => p.ProbeId).ToArray();
            if (found.Length == 0)
            {
                errors.Add(path, rule);
            }

            chosen.UnionWith(found);
        }

        for (var i = 0; i < (scope.Communes?.Length ?? 0); i++)
        {
            AddCommunes($"scope.communes[{i}]", [scope.Communes![i]], "no registered, enabled probe is in this commune");
        }

        for (var i = 0; i < (scope.Areas?.Length ?? 0); i++)
        {
            var found = AreaKinds.TryParse(scope.Areas![i].Kind, out var kind) ? await areas.ListAsync(null, kind, scope.Areas[i].Code, cancellationToken) : [];
            if (found.Count == 0)
            {
                errors.Add($"scope.areas[{i}]", "is not a known area (GET /api/areas)");
                continue;
            }

            AddCommunes($"scope.areas[{i}]", found.SelectMany(a => a.Communes).Select(c => c.Code), "no registered, enabled probe is in this area's communes");
        }

        return [.. chosen];
    }
}
