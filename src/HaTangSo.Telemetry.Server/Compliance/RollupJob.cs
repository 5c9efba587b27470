using HaTangSo.Telemetry.InfluxDb;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>
/// Hourly and daily rollups per area (every kind: province, former province, former district, commune, custom) ×
/// access × operator: count, mean, median, p10, p90 of download and upload, median latency, and <c>cpu_bound</c> (the
/// results left out because the probe flagged them CPU-bound: not in <c>count</c> nor in any figure), written as
/// <c>rollup_hourly</c> / <c>rollup_daily</c> points (tags <c>area_kind</c>, <c>area</c>). Area membership is read
/// from the registry at each run, so re-running a period after a catalogue change re-projects it. Computed here from the raw results, so it runs on InfluxDB 1.x, 2.x and 3.x alike.
/// Idempotent (a period's points overwrite themselves), catches up from the last completed period stored in
/// PostgreSQL after downtime, and always recomputes the last day so late results from offline probes count. In the same
/// pass it writes the per-link summaries the verdicts merge (<see cref="LinkSummaries"/>: <c>link_hourly</c> per link and
/// hour, <c>link_daily</c> per link and day with its busy hours apart), with their own progress marks (<c>link_hourly</c>,
/// <c>link_daily</c> and when they began, <c>…_since</c>). An area or link whose point cannot be written is skipped and
/// shown (<c>job_item_failed</c>); the rest are written.
/// </summary>
internal sealed class RollupJob(
    ResultSamples results, Areas.AreaStore areaStore, NpgsqlDataSource dataSource, InfluxDbClient influx, Jobs.JobItemFailures failures,
    IOptions<ComplianceOptions> options, TimeProvider time, ILogger<RollupJob> logger)
{
    // Points per write request: a day of a province's link summaries is hundreds of thousands of lines (10,000 probes ×
    // 2 links × 24 hours), which one request cannot carry within InfluxDB's write timeout on a loaded machine.
    private const int MaxLinesPerWrite = 5000;

    private static readonly TimeSpan s_hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan s_day = TimeSpan.FromDays(1);

    /// <summary>Writes every complete hour and day not yet rolled up (bounded per run).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var run = failures.Begin(Jobs.ScheduledJobs.RollupsId);
        await RollAsync("rollup_hourly", s_hour, VietnamTime.Floor(now, s_hour), TimeSpan.FromDays(1), run, cancellationToken);
        // Vietnamese days: 17:00 UTC boundaries.
        var today = VietnamTime.StartOf(VietnamTime.DayOf(now));
        await RollAsync("rollup_daily", s_day, today, TimeSpan.FromDays(2), run, cancellationToken);
        await run.CompleteAsync(cancellationToken);
    }

    private async Task RollAsync(string measurement, TimeSpan period, DateTimeOffset until, TimeSpan recompute, Jobs.JobRun run, CancellationToken cancellationToken)
    {
        var start = time.GetTimestamp();
        var catchUp = TimeSpan.FromHours(options.Value.RollupCatchUpHours);
        // From the last completed period (less the recomputed tail), at most catchUp further per run: a long
        // outage is caught up over several runs, oldest first.
        var completed = await CompletedUntilAsync(measurement, cancellationToken);
        var from = completed is { } done ? done - recompute : until - catchUp;
        from = until - TimeSpan.FromTicks((long)Math.Ceiling((double)(until - from).Ticks / period.Ticks) * period.Ticks);
        if (from + catchUp + recompute < until)
        {
            until = from + TimeSpan.FromTicks((catchUp + recompute).Ticks / period.Ticks * period.Ticks);
        }

        // A day of one province at a time: memory stays bounded however long the catch-up.
        var points = 0;
        var linkPoints = 0;
        var linkMeasurement = period == s_hour ? LinkSummaries.Hourly : LinkSummaries.Daily;
        var chunk = TimeSpan.FromTicks(Math.Max(period.Ticks, s_day.Ticks / period.Ticks * period.Ticks));
        var resolver = await Areas.CommuneResolver.LoadAsync(dataSource, cancellationToken);
        foreach (var (province, _) in await areaStore.ProvincesAsync(cancellationToken))
        {
            var areas = await areaStore.ProvinceAreasAsync(province, cancellationToken);
            var communes = areas.Where(a => a.Kind == Areas.AreaKind.Commune).Select(a => a.Code).ToList();
            var areasOf = areas.SelectMany(a => a.Communes.Select(c => (Commune: c, Area: a))).ToLookup(x => x.Commune, x => x.Area, StringComparer.Ordinal);
            for (var chunkStart = from; chunkStart < until; chunkStart += chunk)
            {
                var chunkEnd = chunkStart + chunk < until ? chunkStart + chunk : until;
                var cpuBound = new List<Sample>();
                var samples = await results.ReadAsync(communes, resolver, chunkStart, chunkEnd, cancellationToken, cpuBound);
                var lines = new LineBuilder(64 * 1024);
                DateTimeOffset PeriodOf(Sample s) => from + TimeSpan.FromTicks(((s.TimeNs / 100) - (from - DateTimeOffset.UnixEpoch).Ticks) / period.Ticks * period.Ticks);
                var (counted, leftOut) = (samples.ToLookup(PeriodOf), cpuBound.ToLookup(PeriodOf));
                foreach (var periodStart in counted.Select(g => g.Key).Union(leftOut.Select(g => g.Key)))
                {
                    points += await WriteAsync(lines, measurement, province, areasOf, periodStart, counted[periodStart], leftOut[periodStart], run, cancellationToken);
                    await FlushAsync(lines, MaxLinesPerWrite, cancellationToken);
                }

                linkPoints += await WriteLinksAsync(lines, linkMeasurement, province, period, samples, run, cancellationToken);

                await FlushAsync(lines, 1, cancellationToken);
            }
        }

        await SaveCompletedAsync(measurement, until, cancellationToken);
        await SaveCompletedAsync(linkMeasurement, until, cancellationToken);
        await SaveSinceAsync(linkMeasurement + "_since", from, cancellationToken);
        logger.RollupsWritten(measurement, until, points, time.GetElapsedTime(start));
        Jobs.VerdictsLog.LinkSummariesWritten(logger, linkMeasurement, until, linkPoints);
    }

    // Writes the lines gathered so far once there are at least `atLeast` of them.
    private async Task FlushAsync(LineBuilder lines, int atLeast, CancellationToken cancellationToken)
    {
        if (lines.Count >= atLeast)
        {
            await influx.WriteAsync(lines.ToString(), WritePrecision.Seconds, cancellationToken);
            lines.Clear();
        }
    }

    // Per link and hour (link_hourly), or per link and day with the busy hours apart (link_daily).
    private async Task<int> WriteLinksAsync(
        LineBuilder lines, string measurement, string province, TimeSpan period, List<Sample> samples, Jobs.JobRun run, CancellationToken cancellationToken)
    {
        var written = 0;
        var hours = LinkSummaries.ByHour(samples);
        if (period == s_hour)
        {
            foreach (var ((key, hour), summary) in hours)
            {
                written += await WriteLinkAsync(lines, measurement, province, key, null, summary, hour, run, cancellationToken);
            }

            return written;
        }

        var days = new Dictionary<(Estimation.LinkKey, DateTimeOffset), (Estimation.LinkSummary All, Estimation.LinkSummary Busy)>();
        foreach (var ((key, hour), summary) in hours)
        {
            var day = VietnamTime.StartOf(VietnamTime.DayOf(hour));
            if (!days.TryGetValue((key, day), out var parts))
            {
                days[(key, day)] = parts = (new Estimation.LinkSummary(), new Estimation.LinkSummary());
            }

            parts.All.Merge(summary);
            if (options.Value.IsBusy(hour))
            {
                parts.Busy.Merge(summary);
            }
        }

        foreach (var ((key, day), (all, busy)) in days)
        {
            written += await WriteLinkAsync(lines, measurement, province, key, "all", all, day, run, cancellationToken);
            if (busy.Results > 0)
            {
                written += await WriteLinkAsync(lines, measurement, province, key, "busy", busy, day, run, cancellationToken);
            }
        }

        return written;
    }

    private async Task<int> WriteLinkAsync(
        LineBuilder lines, string measurement, string province, Estimation.LinkKey key, string? hours, Estimation.LinkSummary summary, DateTimeOffset at,
        Jobs.JobRun run, CancellationToken cancellationToken)
    {
        try
        {
            LinkSummaries.Write(lines, measurement, province, key, hours, summary, at);
            await FlushAsync(lines, MaxLinesPerWrite, cancellationToken);
            return 1;
        }
        catch (ArgumentException ex)
        {
            await run.FailedAsync("probe-link", $"{key.Probe}/{key.Link}", ex, cancellationToken);
            return 0;
        }
    }

    private static async Task<int> WriteAsync(
        LineBuilder lines, string measurement, string province, ILookup<string, Areas.Area> areasOf, DateTimeOffset periodStart, IEnumerable<Sample> samples,
        IEnumerable<Sample> cpuBound, Jobs.JobRun run, CancellationToken cancellationToken)
    {
        var groups = new Dictionary<(Areas.AreaKind Kind, string Code, string Access, string Operator), List<Sample>>();
        var leftOut = new Dictionary<(Areas.AreaKind Kind, string Code, string Access, string Operator), long>();
        foreach (var s in samples)
        {
            foreach (var key in areasOf[s.Commune].Select(a => (a.Kind, a.Code, s.Access, s.Operator)))
            {
                if (!groups.TryGetValue(key, out var list))
                {
                    groups[key] = list = [];
                }

                list.Add(s);
            }
        }

        // Results the probe flagged cpu_bound count nowhere but here (field cpu_bound), so an operator sees how many
        // were left out and where; an area × access × operator with only such results still gets its point (count 0).
        foreach (var s in cpuBound)
        {
            foreach (var key in areasOf[s.Commune].Select(a => (a.Kind, a.Code, s.Access, s.Operator)))
            {
                leftOut[key] = leftOut.GetValueOrDefault(key) + 1;
                groups.TryAdd(key, []);
            }
        }

        var timestamp = WritePrecision.Seconds.ToTimestamp(periodStart);
        var written = 0;
        foreach (var ((kind, code, access, op), list) in groups)
        {
            try
            {
            var down = list.Where(s => s.Download is not null).Select(s => s.Download!.Value).ToList();
            var up = list.Where(s => s.Upload is not null).Select(s => s.Upload!.Value).ToList();
            var latency = list.Where(s => s.Latency is not null).Select(s => s.Latency!.Value).ToList();
            lines.Measurement(measurement).Tag("area_kind", Areas.AreaKinds.ToName(kind)).Tag("area", code).Tag("province", province)
                .Tag("district", kind == Areas.AreaKind.FormerDistrict ? code : null).Tag("commune", kind == Areas.AreaKind.Commune ? code : null)
                .Tag("access", access).Tag("operator", op)
                .Field("count", (long)list.Count)
                .Field("cpu_bound", leftOut.TryGetValue((kind, code, access, op), out var flagged) ? flagged : 0L)
                .Field("download_mean", down.Count > 0 ? down.Average() : null)
                .Field("download_median", SampleStatistics.Compute(down, "median"))
                .Field("download_p10", SampleStatistics.Compute(down, "p10"))
                .Field("download_p90", SampleStatistics.Compute(down, "p90"))
                .Field("upload_mean", up.Count > 0 ? up.Average() : null)
                .Field("upload_median", SampleStatistics.Compute(up, "median"))
                .Field("upload_p10", SampleStatistics.Compute(up, "p10"))
                .Field("upload_p90", SampleStatistics.Compute(up, "p90"))
                .Field("latency_median", SampleStatistics.Compute(latency, "median"))
                .Timestamp(timestamp);
                written++;
            }
            catch (ArgumentException ex)
            {
                // An area code or operator line protocol cannot carry (planted past the API's rules): that area is skipped.
                lines.Abandon();
                await run.FailedAsync("area", $"{Areas.AreaKinds.ToName(kind)}/{code}", ex, cancellationToken);
            }
        }

        return written;
    }

    private async Task<DateTimeOffset?> CompletedUntilAsync(string job, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT completed_until FROM job_progress WHERE job = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = job });
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime value ? new DateTimeOffset(value, TimeSpan.Zero) : null;
    }

    private async Task SaveSinceAsync(string job, DateTimeOffset since, CancellationToken cancellationToken)
    {
        // The first period the link summaries cover: earlier windows are read from the raw results.
        await using var command = dataSource.CreateCommand("""
            INSERT INTO job_progress (job, completed_until) VALUES ($1, $2)
            ON CONFLICT (job) DO UPDATE SET completed_until = LEAST(job_progress.completed_until, excluded.completed_until)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = job });
        command.Parameters.Add(new NpgsqlParameter { Value = since });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task SaveCompletedAsync(string job, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO job_progress (job, completed_until) VALUES ($1, $2)
            ON CONFLICT (job) DO UPDATE SET completed_until = GREATEST(job_progress.completed_until, excluded.completed_until)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = job });
        command.Parameters.Add(new NpgsqlParameter { Value = until });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
