using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Areas;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>
/// The hourly compliance job: the configured kinds of area (default former districts and communes) of every province
/// over the rolling window and the current month, stored and written to InfluxDB, the rolling verdicts fed to the
/// alerts; then QCVN 34 per fixed link. Area membership is read from the registry at each run, so a catalogue reload or
/// an area change applies from the next evaluation; raw points are not touched. The evaluation instant is the hour, so
/// two instances (or a retry) evaluating the same hour produce the same rows, once.
/// </summary>
internal sealed class ComplianceJob(
    ComplianceEvaluator evaluator, ComplianceStore store, Qcvn34Evaluator qcvn34, AlertStore alerts, ResultSamples results, AreaStore areaStore,
    AreaMembershipPoints membership,
    NpgsqlDataSource dataSource, IOptions<ComplianceOptions> options, TimeProvider time, ILogger<ComplianceJob> logger)
{
    /// <summary>Runs one evaluation for the current hour.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var evaluatedAt = VietnamTime.Floor(time.GetUtcNow(), TimeSpan.FromHours(1));
        var from = evaluatedAt - TimeSpan.FromDays(options.Value.WindowDays);
        var monthStart = VietnamTime.StartOf(VietnamTime.MonthOf(evaluatedAt - TimeSpan.FromTicks(1)));
        var start = time.GetTimestamp();
        var rows = 0;
        var resolver = await CommuneResolver.LoadAsync(dataSource, cancellationToken);
        foreach (var (province, _) in await areaStore.ProvincesAsync(cancellationToken))
        {
            var earliest = monthStart < from ? monthStart : from;
            var (fromNs, monthNs) = (ResultSamples.ToNs(from), ResultSamples.ToNs(monthStart));
            var provinceAreas = await areaStore.ProvinceAreasAsync(province, cancellationToken);
            await membership.SyncAsync(province, provinceAreas, cancellationToken);
            var scopes = ComplianceEvaluator.Scopes(provinceAreas);
            var rollingTargets = await evaluator.InForceAsync(province, evaluatedAt, cancellationToken);
            var fixedLinks = new List<Sample>();
            var measured = await results.CommunesWithDataAsync(
                [.. provinceAreas.Where(a => a.Kind == AreaKind.Commune).Select(a => a.Code)], resolver, earliest, evaluatedAt, cancellationToken);

            // One read unit at a time (a former district with its communes): the job holds the largest unit's month of
            // samples, not the province's. Units where nothing was measured are not read at all.
            foreach (var (communes, all) in EvaluationGroups.Plan(provinceAreas, options.Value.KindsFor(province)))
            {
                // A commune without a single result in the windows gets no row (3,321 communes, most without a probe).
                var evaluated = all.Where(a => a.Kind != AreaKind.Commune || measured.Contains(a.Code)).ToList();
                var samples = communes.Any(measured.Contains) ? await results.ReadAsync(communes, resolver, earliest, evaluatedAt, cancellationToken) : [];
                var rolling = evaluator.Evaluate(province, evaluated, [.. samples.Where(s => s.TimeNs >= fromNs)], rollingTargets, scopes, from, evaluatedAt);
                var month = evaluator.Evaluate(province, evaluated, [.. samples.Where(s => s.TimeNs >= monthNs)], rollingTargets, scopes, monthStart, evaluatedAt);
                await store.SaveAsync("rolling", evaluatedAt, rolling, cancellationToken);
                await store.SaveAsync("month", evaluatedAt, month, cancellationToken);
                foreach (var row in rolling)
                {
                    await alerts.ApplyComplianceAsync(row, evaluatedAt, cancellationToken);
                }

                if (evaluated.Any(a => a.Kind is AreaKind.FormerDistrict or AreaKind.Commune))
                {
                    fixedLinks.AddRange(samples.Where(s => s.TimeNs >= fromNs && s.Access == "fixed" && s.Download is not null));
                }

                rows += rolling.Count + month.Count;
            }

            // QCVN 34 judges each fixed link over the rolling window (only fixed downloads are kept for it).
            await qcvn34.EvaluateAsync(province, fixedLinks, from, evaluatedAt, evaluatedAt, cancellationToken);
        }

        logger.ComplianceEvaluated(evaluatedAt, rows, time.GetElapsedTime(start));
    }
}
