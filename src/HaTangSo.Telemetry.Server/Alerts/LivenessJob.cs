using System.Globalization;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>
/// Probe liveness: a probe heard of (a result in InfluxDB or a status message) less recently than
/// <see cref="AlertOptions.SilentAfterIntervals"/> × its schedule raises a <c>probe_silent</c> alert; hearing
/// from it again resolves the alert. A probe never heard of counts from its registration. A probe with more than
/// <see cref="AlertOptions.QuarantinePerHour"/> messages quarantined in the last hour raises a <c>probe_quarantine</c>
/// alert, resolved once the last hour is back under the limit.
/// </summary>
internal sealed class LivenessJob(
    RegistryStore registry, NpgsqlDataSource dataSource, InfluxDbClient influx, AlertStore alerts, Jobs.JobItemFailures failures, IOptions<AlertOptions> options,
    TimeProvider time)
{
    /// <summary>Checks every enabled probe now.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var lastSeen = await LastSeenAsync(now, cancellationToken);
        var quarantined = await QuarantinedLastHourAsync(now, cancellationToken);
        var perHour = options.Value.QuarantinePerHour;
        var run = failures.Begin(Jobs.ScheduledJobs.LivenessId);
        foreach (var probe in await registry.LoadLocationsAsync(cancellationToken))
        {
            if (!probe.Enabled)
            {
                continue;
            }

            // Issue 18.3: a probe row that cannot be judged or alerted on is skipped and shown; the others are checked.
            await run.TryAsync("probe", probe.ProbeId, () => CheckAsync(probe, now, lastSeen, quarantined, perHour, cancellationToken), cancellationToken);
        }

        await run.CompleteAsync(cancellationToken);
    }

    private async Task CheckAsync(
        ProbeLocation probe, DateTimeOffset now, Dictionary<string, DateTimeOffset> lastSeen, Dictionary<string, long> quarantined, int perHour,
        CancellationToken cancellationToken)
    {
        var seen = lastSeen.GetValueOrDefault(probe.ProbeId);
        var limit = probe.ScheduleInterval * options.Value.SilentAfterIntervals;
        var silent = now - seen > limit;
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"Probe {probe.ProbeId} (commune {probe.CommuneCode}) silent since {seen:yyyy-MM-dd HH:mm} UTC, more than {limit.TotalMinutes:0} min ({options.Value.SilentAfterIntervals:0.#} × its schedule)");
        await alerts.ApplyProbeAsync(AlertKind.ProbeSilent, probe.ProbeId, probe.ProvinceCode, probe.DistrictCode, silent, summary, null, null, cancellationToken);

        var refused = quarantined.GetValueOrDefault(probe.ProbeId);
        var flooding = string.Create(CultureInfo.InvariantCulture,
            $"Probe {probe.ProbeId} (commune {probe.CommuneCode}): {refused} messages quarantined in the last hour (limit {perHour}); see GET /api/quarantine?probeId={probe.ProbeId}");
        await alerts.ApplyProbeAsync(AlertKind.ProbeQuarantine, probe.ProbeId, probe.ProvinceCode, probe.DistrictCode, refused > perHour, flooding, refused, perHour, cancellationToken);
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

    private async Task<Dictionary<string, DateTimeOffset>> LastSeenAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var seen = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        void Saw(string probe, DateTimeOffset at)
        {
            if (at <= now && (!seen.TryGetValue(probe, out var known) || at > known))
            {
                seen[probe] = at;
            }
        }

        await using (var command = dataSource.CreateCommand("""
            SELECT p.id, p.created_at, s.received_at FROM probes p LEFT JOIN probe_status s ON s.probe_id = p.id
            """))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                Saw(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1));
                if (!reader.IsDBNull(2))
                {
                    Saw(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(2));
                }
            }
        }

        var query = $"SELECT last(duration_ms) FROM speedtest WHERE time >= {InfluxQl.Time(now - TimeSpan.FromDays(90))} AND time <= {InfluxQl.Time(now)} GROUP BY probe";
        foreach (var statement in await influx.QueryAsync(query, cancellationToken))
        {
            foreach (var series in statement.Series ?? [])
            {
                if (series.Tags?.TryGetValue("probe", out var probe) == true && series.Values is [var row, ..])
                {
                    Saw(probe, DateTimeOffset.UnixEpoch.AddTicks(row[0].GetInt64() / 100));
                }
            }
        }

        return seen;
    }
}
