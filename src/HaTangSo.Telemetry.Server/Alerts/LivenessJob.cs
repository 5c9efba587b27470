using System.Globalization;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Diagnostics;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>
/// Probe liveness, every registered probe at each run:
/// <list type="bullet">
/// <item>its state (<see cref="ProbeLivenessState"/>: never seen, online, stale, offline, disabled, with since when), stored
/// in PostgreSQL and written as one <c>probe_liveness</c> point per probe, so the fleet dashboard counts every registered
/// probe, including those never heard of or silent for long;</item>
/// <item>a probe heard of (a result in InfluxDB or a status message) less recently than
/// <see cref="AlertOptions.SilentAfterIntervals"/> × its schedule raises a <c>probe_silent</c> alert; hearing from it
/// again resolves the alert. A probe never heard of counts from its registration;</item>
/// <item>a probe with more than <see cref="AlertOptions.QuarantinePerHour"/> messages quarantined in the last hour raises a
/// <c>probe_quarantine</c> alert, resolved once the last hour is back under the limit;</item>
/// <item>the freshness of what the dashboards read (<see cref="DataFreshness"/>).</item>
/// </list>
/// </summary>
internal sealed class LivenessJob(
    RegistryStore registry, NpgsqlDataSource dataSource, InfluxDbClient influx, AlertStore alerts, LivenessStore store, DataFreshness freshness,
    Jobs.JobItemFailures failures, IOptions<AlertOptions> options, TimeProvider time, ILogger<LivenessJob> logger)
{
    // How far back the newest result, rollup and evaluation are looked for; older counts as none.
    private static readonly TimeSpan s_lookBack = TimeSpan.FromDays(90);

    /// <summary>Checks every registered probe now.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var stored = await store.LoadAsync(cancellationToken);
        var lastResults = await LastResultsAsync(now, cancellationToken);
        var quarantined = await QuarantinedLastHourAsync(now, cancellationToken);
        var perHour = options.Value.QuarantinePerHour;
        var run = failures.Begin(Jobs.ScheduledJobs.LivenessId);
        var rows = new List<ProbeLivenessRow>();
        foreach (var probe in await registry.LoadLocationsAsync(cancellationToken))
        {
            if (!stored.TryGetValue(probe.ProbeId, out var known))
            {
                continue; // registered after the read above: the next run has it
            }

            var lastResult = lastResults.TryGetValue(probe.ProbeId, out var r) ? r : (DateTimeOffset?)null;
            var evidence = new ProbeEvidence(probe.Enabled, known.RegisteredAt, known.ChangedAt, known.StatusOnline, known.StatusAt, lastResult);
            var limit = probe.ScheduleInterval * options.Value.SilentAfterIntervals;
            var liveness = ProbeLiveness.Classify(evidence, known.Previous, limit, now);
            rows.Add(new ProbeLivenessRow(probe, liveness, evidence.LastHeard is { } h && h <= now ? h : null));
            if (!probe.Enabled)
            {
                continue;
            }

            // Issue 18.3: a probe row that cannot be judged or alerted on is skipped and shown; the others are checked.
            await run.TryAsync("probe", probe.ProbeId, () => CheckAsync(probe, known, lastResult, limit, now, quarantined, perHour, cancellationToken), cancellationToken);
        }

        await store.SaveAsync(rows, now, cancellationToken);
        var counts = rows.CountBy(r => r.Liveness.State).ToDictionary();
        logger.LivenessChecked(rows.Count, counts.GetValueOrDefault(ProbeLivenessState.Online), counts.GetValueOrDefault(ProbeLivenessState.Stale),
            counts.GetValueOrDefault(ProbeLivenessState.Offline), counts.GetValueOrDefault(ProbeLivenessState.NeverSeen), counts.GetValueOrDefault(ProbeLivenessState.Disabled));
        await RefreshFreshnessAsync(rows, lastResults, now, cancellationToken);
        await run.CompleteAsync(cancellationToken);
    }

    private async Task CheckAsync(
        ProbeLocation probe, StoredProbeState known, DateTimeOffset? lastResult, TimeSpan limit, DateTimeOffset now, Dictionary<string, long> quarantined,
        int perHour, CancellationToken cancellationToken)
    {
        // A probe never heard of counts from its registration; evidence from the future does not count.
        var seen = new[] { known.RegisteredAt, known.StatusAt ?? default, lastResult ?? default }.Where(t => t <= now).Max();
        var silent = now - seen > limit;
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"Probe {probe.ProbeId} (commune {probe.CommuneCode}) silent since {seen:yyyy-MM-dd HH:mm} UTC, more than {limit.TotalMinutes:0} min ({options.Value.SilentAfterIntervals:0.#} × its schedule)");
        await alerts.ApplyProbeAsync(AlertKind.ProbeSilent, probe.ProbeId, probe.ProvinceCode, probe.DistrictCode, silent, summary, null, null, cancellationToken);

        var refused = quarantined.GetValueOrDefault(probe.ProbeId);
        var flooding = string.Create(CultureInfo.InvariantCulture,
            $"Probe {probe.ProbeId} (commune {probe.CommuneCode}): {refused} messages quarantined in the last hour (limit {perHour}); see GET /api/quarantine?probeId={probe.ProbeId}");
        await alerts.ApplyProbeAsync(AlertKind.ProbeQuarantine, probe.ProbeId, probe.ProvinceCode, probe.DistrictCode, refused > perHour, flooding, refused, perHour, cancellationToken);
    }

    // The newest result per province comes from the per-probe query above (no second scan of speedtest); rollups and
    // evaluations are small measurements and last() reads only the newest block of each series.
    private async Task RefreshFreshnessAsync(
        List<ProbeLivenessRow> rows, Dictionary<string, DateTimeOffset> lastResults, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var newest = new Dictionary<(string, string), DateTimeOffset>();
        void Saw(string measurement, string province, DateTimeOffset at)
        {
            if (province.Length > 0 && at <= now && (!newest.TryGetValue((measurement, province), out var known) || at > known))
            {
                newest[(measurement, province)] = at;
            }
        }

        foreach (var row in rows)
        {
            if (lastResults.TryGetValue(row.Probe.ProbeId, out var at))
            {
                Saw("speedtest", row.Probe.ProvinceCode, at);
            }
        }

        var range = $"time >= {InfluxQl.Time(now - s_lookBack)} AND time <= {InfluxQl.Time(now)}";
        foreach (var (measurement, field, offset) in new[] { ("rollup_hourly", "count", TimeSpan.FromHours(1)), ("compliance", "samples", TimeSpan.Zero) })
        {
            foreach (var (province, at) in await NewestAsync($"SELECT last(\"{field}\") FROM \"{measurement}\" WHERE {range} GROUP BY \"province\"", "province", cancellationToken))
            {
                Saw(measurement, province, at + offset); // an hourly rollup is stamped with its hour's start: fresh up to its end
            }
        }

        freshness.Replace(newest);
    }

    // Occurrences of identical payloads count too: a probe resending one bad message is as broken as one sending many.
    private async Task<Dictionary<string, long>> QuarantinedLastHourAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var command = dataSource.CreateCommand(
            "SELECT probe_id, sum(occurrences)::bigint FROM quarantine WHERE probe_id IS NOT NULL AND last_received_at > $1 AND received_at <= $2 GROUP BY probe_id");
        command.Parameters.Add(new() { Value = (now - TimeSpan.FromHours(1)).ToUniversalTime() });
        command.Parameters.Add(new() { Value = now.ToUniversalTime() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>The newest result's measurement time of every probe with a result in the look-back window.</summary>
    private async Task<Dictionary<string, DateTimeOffset>> LastResultsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var query = $"SELECT last(duration_ms) FROM speedtest WHERE time >= {InfluxQl.Time(now - s_lookBack)} AND time <= {InfluxQl.Time(now)} GROUP BY probe";
        return await NewestAsync(query, "probe", cancellationToken);
    }

    private async Task<Dictionary<string, DateTimeOffset>> NewestAsync(string query, string tag, CancellationToken cancellationToken)
    {
        var newest = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var statement in await influx.QueryAsync(query, cancellationToken))
        {
            foreach (var series in statement.Series ?? [])
            {
                if (series.Tags?.TryGetValue(tag, out var key) == true && series.Values is [var row, ..])
                {
                    newest[key] = DateTimeOffset.UnixEpoch.AddTicks(row[0].GetInt64() / 100);
                }
            }
        }

        return newest;
    }
}
