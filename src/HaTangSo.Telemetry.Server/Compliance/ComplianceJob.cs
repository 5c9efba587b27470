using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Compliance.Estimation;
using HaTangSo.Telemetry.Server.Jobs;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>
/// The hourly compliance job: the configured kinds of area (default former districts and communes) of every province ×
/// access × operator (all, and each operator measured) over the rolling window, the current month and the rolling
/// window's busy hours, from the per-link summaries; stored and written to InfluxDB, the rolling verdicts fed to the
/// alerts; then QCVN 34 per fixed link and the share of links meeting it per area. Area membership is read from the
/// registry at each run, so a catalogue reload or an area change applies from the next evaluation; raw points are not
/// touched. The evaluation instant is the hour, so two instances (or a retry) evaluating the same hour produce the same
/// rows, once. A row that cannot be evaluated or written (issue 18.3) is skipped, logged, counted and alerted
/// (<c>job_item_failed</c>); every other verdict is written.
/// </summary>
internal sealed class ComplianceJob(
    ComplianceEvaluator evaluator, ComplianceStore store, Qcvn34Evaluator qcvn34, AlertStore alerts, ResultSamples results, LinkSummaries summaries,
    AreaStore areaStore, AreaMembershipPoints membership, JobItemFailures failures,
    NpgsqlDataSource dataSource, IOptions<ComplianceOptions> options, TimeProvider time, ILogger<ComplianceJob> logger)
{
    /// <summary>Runs one evaluation for the current hour.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var evaluatedAt = VietnamTime.Floor(time.GetUtcNow(), TimeSpan.FromHours(1));
        var from = evaluatedAt - TimeSpan.FromDays(options.Value.WindowDays);
        var monthStart = VietnamTime.StartOf(VietnamTime.MonthOf(evaluatedAt - TimeSpan.FromTicks(1)));
        var earliest = monthStart < from ? monthStart : from;
        WindowSpec[] windows =
        [
            new(ComplianceWindow.Rolling, from, evaluatedAt, false),
            new(ComplianceWindow.Month, monthStart, evaluatedAt, false),
            new(ComplianceWindow.Busy, from, evaluatedAt, true),
        ];
        var start = time.GetTimestamp();
        var rows = 0;
        var run = failures.Begin(ScheduledJobs.ComplianceId);
        var coverage = await summaries.CoverageAsync(cancellationToken);
        var resolver = await CommuneResolver.LoadAsync(dataSource, cancellationToken);
        foreach (var (province, _) in await areaStore.ProvincesAsync(cancellationToken))
        {
            var provinceAreas = await areaStore.ProvinceAreasAsync(province, cancellationToken);
            var areaByKey = new Dictionary<(AreaKind, string), Area>();
            foreach (var area in provinceAreas)
            {
                areaByKey.TryAdd((area.Kind, area.Code), area);
            }
            await run.TryAsync("area-membership", province, () => membership.SyncAsync(province, provinceAreas, cancellationToken), cancellationToken);
            var scopes = ComplianceEvaluator.Scopes(provinceAreas);
            var inForce = await ValidTargetsAsync(province, evaluatedAt, run, cancellationToken);
            var kinds = options.Value.KindsFor(province);
            var fixedLinks = new List<(LinkKey, ValueSummary)>();
            var measured = await results.CommunesWithDataAsync(
                [.. provinceAreas.Where(a => a.Kind == AreaKind.Commune).Select(a => a.Code)], resolver, earliest, evaluatedAt, cancellationToken);

            // One read unit at a time (a former district with its communes): the job holds the largest unit's links, not the
            // province's. Units where nothing was measured are not read at all.
            foreach (var (communes, all) in EvaluationGroups.Plan(provinceAreas, kinds))
            {
                // A commune without a single result in the windows gets no row (3,321 communes, most without a probe).
                var evaluated = all.Where(a => a.Kind != AreaKind.Commune || measured.Contains(a.Code)).ToList();
                var links = communes.Any(measured.Contains)
                    ? await summaries.ReadAsync(communes, resolver, coverage, earliest, evaluatedAt, [(from, LinkSummaries.CeilDay(from))], cancellationToken)
                    : [];
                foreach (var window in windows)
                {
                    List<AreaCompliance> windowRows = [];
                    if (!await run.TryAsync("areas", $"{province}/{all[0].Kind.ToName()}/{all[0].Code}",
                        () => Task.FromResult(windowRows = evaluator.Evaluate(province, evaluated, links, inForce, scopes, window)), cancellationToken))
                    {
                        continue;
                    }

                    var stored = await store.SaveAsync(evaluatedAt, windowRows,
                        (row, ex) => run.FailedAsync("area", $"{row.AreaKind.ToName()}/{row.AreaCode}", ex, cancellationToken), cancellationToken);
                    foreach (var row in stored.Where(r => r.Alerting))
                    {
                        // The area's commune tags let a confirmation round read its results against the off-net server.
                        var tags = areaByKey.TryGetValue((row.AreaKind, row.AreaCode), out var alerted) ? resolver.TagsOf(alerted.Communes) : null;
                        await run.TryAsync("alert", row.ScopeKey, () => alerts.ApplyComplianceAsync(row, evaluatedAt, cancellationToken, tags), cancellationToken);
                    }

                    rows += stored.Count;
                }

                if (evaluated.Any(a => a.Kind is AreaKind.FormerDistrict or AreaKind.Commune))
                {
                    fixedLinks.AddRange(links.Where(l => l.Key.Access == "fixed").Select(l => (l.Key, l.Window(from, evaluatedAt, busy: false).Download)));
                }
            }

            // QCVN 34 judges each fixed link over the rolling window; the shares per evaluated area follow.
            await run.TryAsync("qcvn34", province, async () =>
            {
                var judged = await qcvn34.JudgeAsync(province, fixedLinks, cancellationToken);
                var shares = Qcvn34Evaluator.Shares(judged, provinceAreas.Where(a => kinds.Contains(a.Kind)));
                await qcvn34.SaveAsync(province, judged, shares, from, evaluatedAt, evaluatedAt,
                    (kind, id, ex) => run.FailedAsync(kind, id, ex, cancellationToken), cancellationToken);
            }, cancellationToken);
        }

        await run.CompleteAsync(cancellationToken);
        logger.ComplianceEvaluated(evaluatedAt, rows, time.GetElapsedTime(start));
    }

    // A target planted past the API's rules (a technology line protocol cannot carry, an unknown statistic) is not applied:
    // its areas are evaluated without it, and it is shown as a job_item_failed alert.
    private async Task<List<Target>> ValidTargetsAsync(string province, DateTimeOffset evaluatedAt, JobRun run, CancellationToken cancellationToken)
    {
        var valid = new List<Target>();
        foreach (var target in await evaluator.InForceAsync(province, evaluatedAt, cancellationToken))
        {
            var errors = target.Validate();
            if (errors.Count == 0)
            {
                valid.Add(target);
                continue;
            }

            var reason = string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
            await run.FailedAsync("target", target.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), new InvalidDataException(reason), cancellationToken);
        }

        return valid;
    }
}
