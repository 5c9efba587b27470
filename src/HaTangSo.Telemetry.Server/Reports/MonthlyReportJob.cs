using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Server.Areas;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>
/// Builds the monthly report of a province from the raw results of the month (Vietnam time): the compliance of
/// every district × access against the targets in force at the month's end, the probes that delivered less than
/// half the results their schedule promises (counted from the probe's registration if it came mid-month), and a
/// chart. The 1st of each month it reports the month before, for every province; an operator can (re)generate any
/// month through the API.
/// </summary>
internal sealed class MonthlyReportJob(
    ComplianceEvaluator evaluator, ResultSamples results, RegistryStore registry, ReportStore store, NpgsqlDataSource dataSource,
    Areas.AreaStore areaStore, Microsoft.Extensions.Options.IOptions<ComplianceOptions> options, TimeProvider time, ILogger<MonthlyReportJob> logger)
{
    /// <summary>Reports the previous month of every province.</summary>
    public async Task RunPreviousMonthAsync(CancellationToken cancellationToken)
    {
        var month = VietnamTime.MonthOf(time.GetUtcNow()).AddMonths(-1);
        foreach (var (province, _) in await areaStore.ProvincesAsync(cancellationToken))
        {
            await GenerateAsync(province, month, cancellationToken);
        }
    }

    /// <summary>Builds, stores and returns the report of <paramref name="provinceCode"/> for <paramref name="month"/> (up to now if it is not over).</summary>
    public async Task<MonthlyReport> GenerateAsync(string provinceCode, DateOnly month, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var from = VietnamTime.StartOf(month);
        var to = VietnamTime.StartOf(month.AddMonths(1));
        if (to > now)
        {
            to = now;
        }

        // One read unit (a former district with its communes) at a time, so the job holds the largest unit's month, not the
        // province's; per probe only its count and last result are kept, for the silent-probe list. Rows per area, of the
        // kinds the compliance job evaluates.
        var evaluated = new List<AreaCompliance>();
        var delivered = new Dictionary<string, (int Count, long LastNs)>(StringComparer.Ordinal);
        var resolver = await Areas.CommuneResolver.LoadAsync(dataSource, cancellationToken);
        var provinceAreas = await areaStore.ProvinceAreasAsync(provinceCode, cancellationToken);
        var scopes = ComplianceEvaluator.Scopes(provinceAreas);
        var inForce = await evaluator.InForceAsync(provinceCode, to, cancellationToken);
        var measured = await results.CommunesWithDataAsync(
            [.. provinceAreas.Where(a => a.Kind == AreaKind.Commune).Select(a => a.Code)], resolver, from, to, cancellationToken);
        foreach (var (communes, all) in EvaluationGroups.Plan(provinceAreas, options.Value.KindsFor(provinceCode)))
        {
            // As the compliance job: communes without a result in the month have no row; unmeasured units are not read.
            var areas = all.Where(a => a.Kind != AreaKind.Commune || measured.Contains(a.Code)).ToList();
            var samples = communes.Any(measured.Contains) ? await results.ReadAsync(communes, resolver, from, to, cancellationToken) : [];
            evaluated.AddRange(evaluator.Evaluate(provinceCode, areas, samples, inForce, scopes, from, to));
            foreach (var sample in samples)
            {
                var (count, last) = delivered.GetValueOrDefault(sample.Probe);
                delivered[sample.Probe] = (count + 1, Math.Max(last, sample.TimeNs));
            }
        }

        var provinceName = (await areaStore.ProvincesAsync(cancellationToken)).FirstOrDefault(p => p.Code == provinceCode).Name ?? provinceCode;
        var rows = evaluated.Select(r => new ReportRow(
            r.AreaKind.ToName(), r.AreaCode, r.AreaName, r.Access, r.Technology, r.Target?.Metric,
            r.Target?.Statistic, r.Value, r.Target?.Threshold, r.Samples, r.Status, r.Target?.Source)).ToList();
        var report = new MonthlyReport(provinceCode, provinceName, month, rows, await SilentProbesAsync(provinceCode, delivered, from, to, cancellationToken));
        var chart = report.ToChartPng();
        await store.SaveAsync(provinceCode, month, now, report.ToCsv(), report.ToXlsx(chart), chart, cancellationToken);
        logger.ReportStored(provinceCode, month, rows.Count, report.SilentProbes.Count);
        return report;
    }

    private async Task<List<SilentProbe>> SilentProbesAsync(
        string provinceCode, Dictionary<string, (int Count, long LastNs)> delivered, DateTimeOffset from, DateTimeOffset to,
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
            var (count, lastNs) = delivered.GetValueOrDefault(probe.ProbeId);
            if (count * 2 < expected || (expected == 0 && count == 0))
            {
                DateTimeOffset? last = count == 0 ? null : DateTimeOffset.UnixEpoch.AddTicks(lastNs / 100);
                silent.Add(new SilentProbe(probe.ProbeId, probe.CommuneCode, count, expected, last));
            }
        }

        return silent;
    }
}
