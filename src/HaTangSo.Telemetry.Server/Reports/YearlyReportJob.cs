using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Compliance.Estimation;
using HaTangSo.Telemetry.Server.Jobs;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>
/// Builds the yearly statistical report of a province from the per-link summaries: per area × access × operator the
/// year's value with its interval (probe-weighted as the target says), the busy hours' value, samples, probe links, the
/// previous year's value (same statistic) and the trend, the target's status in each month (targets in force at each
/// month's end), and the share of fixed links meeting QCVN 34. Read one read unit (a former district with its
/// communes) and one month at a time: the job holds a unit's links' year summaries, never a year of results. Built on
/// 1 January for the year before, for every province (a province that fails is skipped and shown), and on demand.
/// </summary>
internal sealed class YearlyReportJob(
    ComplianceEvaluator evaluator, ResultSamples results, LinkSummaries summaries, Qcvn34Evaluator qcvn34, ReportStore store,
    NpgsqlDataSource dataSource, AreaStore areaStore, JobItemFailures failures, Microsoft.Extensions.Options.IOptions<ComplianceOptions> options,
    TimeProvider time, ILogger<YearlyReportJob> logger)
{
    private const string YearWindow = "year";

    /// <summary>Reports the previous year of every province.</summary>
    public async Task RunPreviousYearAsync(CancellationToken cancellationToken)
    {
        var year = VietnamTime.DayOf(time.GetUtcNow()).Year - 1;
        var run = failures.Begin(ScheduledJobs.YearlyReportId);
        foreach (var (province, _) in await areaStore.ProvincesAsync(cancellationToken))
        {
            await run.TryAsync("province", province, () => GenerateAsync(province, year, cancellationToken), cancellationToken);
        }

        await run.CompleteAsync(cancellationToken);
    }

    /// <summary>Builds and stores the report of <paramref name="provinceCode"/> for <paramref name="year"/> (up to now if it is not over).</summary>
    public async Task<YearlyReport> GenerateAsync(string provinceCode, int year, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var first = new DateOnly(year, 1, 1);
        var from = VietnamTime.StartOf(first);
        var to = VietnamTime.StartOf(first.AddYears(1));
        if (to > now)
        {
            to = VietnamTime.Floor(now, TimeSpan.FromHours(1));
        }

        var previousFrom = VietnamTime.StartOf(first.AddYears(-1));
        var coverage = await summaries.CoverageAsync(cancellationToken);
        var resolver = await CommuneResolver.LoadAsync(dataSource, cancellationToken);
        var provinceAreas = await areaStore.ProvinceAreasAsync(provinceCode, cancellationToken);
        var scopes = ComplianceEvaluator.Scopes(provinceAreas);
        var kinds = options.Value.KindsFor(provinceCode);
        var atYearEnd = await ValidAsync(provinceCode, to, cancellationToken);
        // The previous year is judged by the same statistic (for the trend), whenever the target came into force.
        var forPrevious = atYearEnd.Select(t => t with { ValidFrom = new DateOnly(2000, 1, 1) }).ToList();
        var measured = await results.CommunesWithDataAsync(
            [.. provinceAreas.Where(a => a.Kind == AreaKind.Commune).Select(a => a.Code)], resolver, previousFrom, to, cancellationToken);
        var rows = new List<YearlyRow>();
        var fixedLinks = new List<(LinkKey, ValueSummary)>();
        foreach (var (communes, all) in EvaluationGroups.Plan(provinceAreas, kinds))
        {
            if (!communes.Any(measured.Contains))
            {
                continue;
            }

            var areas = all.Where(a => a.Kind != AreaKind.Commune || measured.Contains(a.Code)).ToList();
            var months = new Dictionary<(AreaKind, string, string, string, string), (string?[] Status, double?[] Value)>();
            var current = new Dictionary<LinkKey, (LinkSummary All, LinkSummary Busy)>();
            var previous = new Dictionary<LinkKey, (LinkSummary All, LinkSummary Busy)>();
            for (var m = 0; m < 12; m++)
            {
                var (monthFrom, monthTo) = (VietnamTime.StartOf(first.AddMonths(m)), VietnamTime.StartOf(first.AddMonths(m + 1)));
                if (monthFrom < to)
                {
                    monthTo = monthTo < to ? monthTo : to;
                    var links = await summaries.ReadAsync(communes, resolver, coverage, monthFrom, monthTo, [], cancellationToken);
                    var inForce = await ValidAsync(provinceCode, monthTo, cancellationToken);
                    foreach (var row in evaluator.Evaluate(provinceCode, areas, links, inForce, scopes, new WindowSpec(ComplianceWindow.Month, monthFrom, monthTo, false)))
                    {
                        var key = (row.AreaKind, row.AreaCode, row.Access, row.Technology, row.Operator);
                        if (!months.TryGetValue(key, out var cells))
                        {
                            months[key] = cells = (new string?[12], new double?[12]);
                        }

                        cells.Status[m] = row.Status;
                        cells.Value[m] = row.Value;
                    }

                    Accumulate(current, links, monthFrom, monthTo);
                }

                var (previousMonthFrom, previousMonthTo) = (VietnamTime.StartOf(first.AddYears(-1).AddMonths(m)), VietnamTime.StartOf(first.AddYears(-1).AddMonths(m + 1)));
                Accumulate(previous, await summaries.ReadAsync(communes, resolver, coverage, previousMonthFrom, previousMonthTo, [], cancellationToken), previousMonthFrom, previousMonthTo);
            }

            var thisYear = Histories(current, from, to);
            var whole = evaluator.Evaluate(provinceCode, areas, thisYear, atYearEnd, scopes, new WindowSpec(YearWindow, from, to, false));
            var busy = evaluator.Evaluate(provinceCode, areas, thisYear, atYearEnd, scopes, new WindowSpec(ComplianceWindow.Busy, from, to, true))
                .ToDictionary(r => (r.AreaKind, r.AreaCode, r.Access, r.Technology, r.Operator));
            var before = evaluator.Evaluate(provinceCode, areas, Histories(previous, previousFrom, from), forPrevious, scopes, new WindowSpec(YearWindow, previousFrom, from, false))
                .ToDictionary(r => (r.AreaKind, r.AreaCode, r.Access, r.Technology, r.Operator));
            foreach (var row in whole)
            {
                var key = (row.AreaKind, row.AreaCode, row.Access, row.Technology, row.Operator);
                var (monthStatuses, monthValues) = months.TryGetValue(key, out var found) ? found : (new string?[12], new double?[12]);
                rows.Add(new YearlyRow(row.AreaKind.ToName(), row.AreaCode, row.AreaName, row.Access, row.Technology, row.Operator, row.Metric, row.Statistic,
                    row.Weighting, row.Value, row.Estimate.Low, row.Estimate.High, busy.GetValueOrDefault(key)?.Value, row.Samples, row.Estimate.Links,
                    before.GetValueOrDefault(key)?.Value, row.Target?.Threshold, row.Status, row.Target?.Source, monthStatuses, monthValues, null));
            }

            if (areas.Any(a => a.Kind is AreaKind.FormerDistrict or AreaKind.Commune))
            {
                fixedLinks.AddRange(thisYear.Where(l => l.Key.Access == "fixed").Select(l => (l.Key, l.Segments[0].All.Download)));
            }
        }

        var shares = Qcvn34Evaluator.Shares(await qcvn34.JudgeAsync(provinceCode, fixedLinks, cancellationToken), provinceAreas.Where(a => kinds.Contains(a.Kind)));
        var byArea = shares.ToDictionary(s => (s.AreaKind, s.AreaCode, s.Operator), s => s.SharePct);
        rows = [.. rows.Select(r => r.Access == "fixed" ? r with { Qcvn34SharePct = byArea.GetValueOrDefault((r.AreaKind, r.AreaCode, r.Operator)) } : r)];
        var provinceName = (await areaStore.ProvincesAsync(cancellationToken)).FirstOrDefault(p => p.Code == provinceCode).Name ?? provinceCode;
        var report = new YearlyReport(provinceCode, provinceName, year, now, to, rows, shares);
        await store.SaveYearlyAsync(report, now, report.ToXlsx(), cancellationToken);
        logger.YearlyReportStored(provinceCode, year, rows.Count);
        return report;
    }

    private async Task<List<Target>> ValidAsync(string provinceCode, DateTimeOffset at, CancellationToken cancellationToken) =>
        [.. (await evaluator.InForceAsync(provinceCode, at, cancellationToken)).Where(t => t.Validate().Count == 0)];

    private static void Accumulate(Dictionary<LinkKey, (LinkSummary All, LinkSummary Busy)> links, List<LinkHistory> read, DateTimeOffset from, DateTimeOffset to)
    {
        foreach (var link in read)
        {
            if (!links.TryGetValue(link.Key, out var sums))
            {
                links[link.Key] = sums = (new LinkSummary(), new LinkSummary());
            }

            sums.All.Merge(link.Window(from, to, busy: false));
            sums.Busy.Merge(link.Window(from, to, busy: true));
        }
    }

    // Each link's year as one segment, so the evaluator merges nothing more.
    private static List<LinkHistory> Histories(Dictionary<LinkKey, (LinkSummary All, LinkSummary Busy)> links, DateTimeOffset from, DateTimeOffset to) =>
        [.. links.Select(l =>
        {
            var history = new LinkHistory(l.Key);
            history.Segments.Add(new LinkSegment(from, true, l.Value.All, l.Value.Busy, to - from));
            return history;
        })];
}
