using HaTangSo.Telemetry.InfluxDb;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>
/// Hourly and daily rollups per area (every kind: province, former province, former district, commune, custom) ×
/// access × operator: count, mean, median, p10, p90 of download and upload, median latency, written as
/// <c>rollup_hourly</c> / <c>rollup_daily</c> points (tags <c>area_kind</c>, <c>area</c>). Area membership is read
/// from the registry at each run, so re-running a period after a catalogue change re-projects it. Computed here from the raw results, so it runs on InfluxDB 1.x, 2.x and 3.x alike.
/// Idempotent (a period's points overwrite themselves), catches up from the last completed period stored in
/// PostgreSQL after downtime, and always recomputes the last day so late results from offline probes count.
/// </summary>
internal sealed class RollupJob(
    ResultSamples results, Areas.AreaStore areaStore, NpgsqlDataSource dataSource, InfluxDbClient influx,
    IOptions<ComplianceOptions> options, TimeProvider time, ILogger<RollupJob> logger)
{
    private static readonly TimeSpan s_hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan s_day = TimeSpan.FromDays(1);

    /// <summary>Writes every complete hour and day not yet rolled up (bounded per run).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await RollAsync("rollup_hourly", s_hour, VietnamTime.Floor(now, s_hour), TimeSpan.FromDays(1), cancellationToken);
        // Vietnamese days: 17:00 UTC boundaries.
        var today = VietnamTime.StartOf(VietnamTime.DayOf(now));
        await RollAsync("rollup_daily", s_day, today, TimeSpan.FromDays(2), cancellationToken);
    }

    private async Task RollAsync(string measurement, TimeSpan period, DateTimeOffset until, TimeSpan recompute, CancellationToken cancellationToken)
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
                var samples = await results.ReadAsync(communes, resolver, chunkStart, chunkEnd, cancellationToken);
                var lines = new LineBuilder(64 * 1024);
                foreach (var group in samples.GroupBy(s => from + TimeSpan.FromTicks(((s.TimeNs / 100) - (from - DateTimeOffset.UnixEpoch).Ticks) / period.Ticks * period.Ticks)))
                {
                    points += Write(lines, measurement, province, areasOf, group.Key, group);
                }

                if (lines.Count > 0)
                {
                    await influx.WriteAsync(lines.ToString(), WritePrecision.Seconds, cancellationToken);
                }
            }
        }

        await SaveCompletedAsync(measurement, until, cancellationToken);
        logger.RollupsWritten(measurement, until, points, time.GetElapsedTime(start));
    }

    private static int Write(
        LineBuilder lines, string measurement, string province, ILookup<string, Areas.Area> areasOf, DateTimeOffset periodStart, IEnumerable<Sample> samples)
    {
        var groups = new Dictionary<(Areas.AreaKind Kind, string Code, string Access, string Operator), List<Sample>>();
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

        var timestamp = WritePrecision.Seconds.ToTimestamp(periodStart);
        foreach (var ((kind, code, access, op), list) in groups)
        {
            var down = list.Where(s => s.Download is not null).Select(s => s.Download!.Value).ToList();
            var up = list.Where(s => s.Upload is not null).Select(s => s.Upload!.Value).ToList();
            var latency = list.Where(s => s.Latency is not null).Select(s => s.Latency!.Value).ToList();
            lines.Measurement(measurement).Tag("area_kind", Areas.AreaKinds.ToName(kind)).Tag("area", code).Tag("province", province)
                .Tag("district", kind == Areas.AreaKind.FormerDistrict ? code : null).Tag("commune", kind == Areas.AreaKind.Commune ? code : null)
                .Tag("access", access).Tag("operator", op)
                .Field("count", (long)list.Count)
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
        }

        return groups.Count;
    }

    private async Task<DateTimeOffset?> CompletedUntilAsync(string job, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT completed_until FROM job_progress WHERE job = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = job });
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime value ? new DateTimeOffset(value, TimeSpan.Zero) : null;
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
