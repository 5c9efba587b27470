using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Compliance.Estimation;
using HaTangSo.Telemetry.Server.Jobs;
using HaTangSo.Telemetry.Server.Registry;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>
/// Builds the monthly report of a province from the month's per-link summaries (Vietnam time): every evaluated area ×
/// access × operator against the targets in force at the month's end, with the 95 % interval and the busy hours' value
/// beside the whole day's; the operator ranking; QCVN 34 per fixed link and per area; the probes that delivered less
/// than half the results their schedule promises (counted from the probe's registration if it came mid-month); a chart.
/// The 1st of each month it reports the month before, for every province (a province that fails is skipped and shown as
/// <c>job_item_failed</c>, the others are built); an operator can (re)generate any month through the API.
/// </summary>
internal sealed class MonthlyReportJob(
    ComplianceEvaluator evaluator, ResultSamples results, LinkSummaries summaries, Qcvn34Evaluator qcvn34, RegistryStore registry, ReportStore store,
    NpgsqlDataSource dataSource, AreaStore areaStore, JobItemFailures failures, Microsoft.Extensions.Options.IOptions<ComplianceOptions> options,
    TimeProvider time, ILogger<MonthlyReportJob> logger)
{
    /// <summary>Reports the previous month of every province.</summary>
    public async Task RunPreviousMonthAsync(CancellationToken cancellationToken)
    {
        var month = VietnamTime.MonthOf(time.GetUtcNow()).AddMonths(-1);
        var run = failures.Begin(ScheduledJobs.MonthlyReportId);
        foreach (var (province, _) in await areaStore.ProvincesAsync(cancellationToken))
        {
            await run.TryAsync("province", province, () => GenerateAsync(province, month, cancellationToken), cancellationToken);
        }

        await run.CompleteAsync(cancellationToken);
    }

    /// <summary>Builds, stores and returns the report of <paramref name="provinceCode"/> for <paramref name="month"/> (up to now if it is not over).</summary>
    public async Task<MonthlyReport> GenerateAsync(string provinceCode, DateOnly month, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var from = VietnamTime.StartOf(month);
        var to = VietnamTime.StartOf(month.AddMonths(1));
        if (to > now)
        {
            to = VietnamTime.Floor(now, TimeSpan.FromHours(1));
        }

        var period = await EvaluatePeriodAsync(provinceCode, from, to, cancellationToken);
        var provinceName = (await areaStore.ProvincesAsync(cancellationToken)).FirstOrDefault(p => p.Code == provinceCode).Name ?? provinceCode;
        var report = new MonthlyReport(provinceCode, provinceName, month, period.Rows,
            await SilentProbesAsync(provinceCode, period.Delivered, from, to, cancellationToken))
        {
            Qcvn34Links = period.Qcvn34Links,
            Qcvn34Shares = period.Qcvn34Shares,
        };
        var chart = report.ToChartPng();
        await store.SaveAsync(provinceCode, month, now, report.ToCsv(), report.ToXlsx(chart), chart, report, cancellationToken);
        logger.ReportStored(provinceCode, month, report.Rows.Count, report.SilentProbes.Count);
        return report;
    }

    /// <summary>What a period's report needs: the rows (whole day with the busy hours beside), QCVN 34, what each probe delivered.</summary>
    internal sealed record PeriodEvaluation(
        List<ReportRow> Rows, List<Qcvn34Result> Qcvn34Links, List<Qcvn34AreaShare> Qcvn34Shares, Dictionary<string, (int Count, DateTimeOffset Last)> Delivered);

    /// <summary>
    /// Evaluates every area of the evaluated kinds over <c>[from, to)</c> from the link summaries, one read unit (a former
    /// district with its communes) at a time.
    /// </summary>
    internal async Task<PeriodEvaluation> EvaluatePeriodAsync(string provinceCode, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var rows = new List<ReportRow>();
        var fixedLinks = new List<(LinkKey, ValueSummary)>();
        var delivered = new Dictionary<string, (int Count, DateTimeOffset Last)>(StringComparer.Ordinal);
        var coverage = await summaries.CoverageAsync(cancellationToken);
        var resolver = await CommuneResolver.LoadAsync(dataSource, cancellationToken);
        var provinceAreas = await areaStore.ProvinceAreasAsync(provinceCode, cancellationToken);
        var scopes = ComplianceEvaluator.Scopes(provinceAreas);
        var inForce = (await evaluator.InForceAsync(provinceCode, to, cancellationToken)).Where(t => t.Validate().Count == 0).ToList();
        var kinds = options.Value.KindsFor(provinceCode);
        var measured = await results.CommunesWithDataAsync(
            [.. provinceAreas.Where(a => a.Kind == AreaKind.Commune).Select(a => a.Code)], resolver, from, to, cancellationToken);
        foreach (var (communes, all) in EvaluationGroups.Plan(provinceAreas, kinds))
        {
            // As the compliance job: communes without a result in the period have no row; unmeasured units are not read.
            var areas = all.Where(a => a.Kind != AreaKind.Commune || measured.Contains(a.Code)).ToList();
            var links = communes.Any(measured.Contains) ? await summaries.ReadAsync(communes, resolver, coverage, from, to, [], cancellationToken) : [];
            var whole = evaluator.Evaluate(provinceCode, areas, links, inForce, scopes, new WindowSpec(ComplianceWindow.Month, from, to, false));
            var busy = evaluator.Evaluate(provinceCode, areas, links, inForce, scopes, new WindowSpec(ComplianceWindow.Busy, from, to, true))
                .ToDictionary(r => (r.AreaKind, r.AreaCode, r.Access, r.Technology, r.Operator));
            rows.AddRange(whole.Select(r => Row(r, busy.GetValueOrDefault((r.AreaKind, r.AreaCode, r.Access, r.Technology, r.Operator)))));
            foreach (var link in links)
            {
                var summary = link.Window(from, to, busy: false);
                var last = link.Segments.Where(s => s.All.Results > 0).Select(s => s.Start).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
                var (count, seen) = delivered.GetValueOrDefault(link.Key.Probe);
                delivered[link.Key.Probe] = (count + (int)summary.Results, last > seen ? last : seen);
                if (link.Key.Access == "fixed" && areas.Any(a => a.Kind is AreaKind.FormerDistrict or AreaKind.Commune))
                {
                    fixedLinks.Add((link.Key, summary.Download));
                }
            }
        }

        var judged = await qcvn34.JudgeAsync(provinceCode, fixedLinks, cancellationToken);
        var shares = Qcvn34Evaluator.Shares(judged, provinceAreas.Where(a => kinds.Contains(a.Kind)));
        return new PeriodEvaluation(rows, judged, shares, delivered);
    }

    private static ReportRow Row(AreaCompliance r, AreaCompliance? busy) =>
        new(r.AreaKind.ToName(), r.AreaCode, r.AreaName, r.Access, r.Technology, r.Metric, r.Statistic, r.Value, r.Target?.Threshold, r.Samples, r.Status,
            r.Target?.Source)
        {
            Operator = r.Operator,
            Weighting = r.Weighting,
            CiLow = r.Estimate.Low,
            CiHigh = r.Estimate.High,
            Links = r.Estimate.Links,
            BusyValue = busy?.Value,
            BusyCiLow = busy?.Estimate.Low,
            BusyCiHigh = busy?.Estimate.High,
            BusyStatus = busy?.Status,
            BusySamples = busy?.Samples ?? 0,
        };

    private async Task<List<SilentProbe>> SilentProbesAsync(
        string provinceCode, Dictionary<string, (int Count, DateTimeOffset Last)> delivered, DateTimeOffset from, DateTimeOffset to,
        CancellationToken cancellationToken)
    {
        var registered = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("SELECT id, created_at FROM probes"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                registered[reader.GetString(0)] = reader.GetFieldValue<DateTimeOffset>(1);
            }
        }

        var silent = new List<SilentProbe>();
        foreach (var probe in (await registry.LoadLocationsAsync(cancellationToken)).Where(p => p.ProvinceCode == provinceCode && p.Enabled))
        {
            var since = registered.TryGetValue(probe.ProbeId, out var created) && created > from ? created : from;
            if (since >= to || probe.Links.Count == 0)
            {
                continue;
            }

            var expected = (int)((to - since) / probe.ScheduleInterval) * probe.Links.Count;
            var (count, last) = delivered.GetValueOrDefault(probe.ProbeId);
            if (count * 2 < expected || (expected == 0 && count == 0))
            {
                silent.Add(new SilentProbe(probe.ProbeId, probe.CommuneCode, count, expected, count == 0 ? null : last));
            }
        }

        return silent;
    }
}
