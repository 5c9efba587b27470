using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Compliance;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>Alert kinds.</summary>
internal static class AlertKind
{
    /// <summary>A former district (pre-2025) below its target: the meaning "district_below" had before the reform.</summary>
    public const string DistrictBelow = "district_below";

    /// <summary>Any other area (a commune, a province, a custom area) below its target.</summary>
    public const string AreaBelow = "area_below";
    public const string ProbeSilent = "probe_silent";
    public const string ProbeQuarantine = "probe_quarantine";

    /// <summary>A row a scheduled job had to skip (issue 18.3): the scope names the job, the kind of row and its id.</summary>
    public const string JobItemFailed = "job_item_failed";
}

/// <summary>
/// Opens and resolves alerts. Every change runs in one transaction with its outbox rows (one per channel), the
/// streak row locked (<c>FOR UPDATE</c>), and the evaluation instant remembered: a re-run or a second instance
/// applying the same evaluation changes nothing, and the partial unique index keeps one open alert per scope.
/// </summary>
internal sealed class AlertStore(NpgsqlDataSource dataSource, IOptions<AlertOptions> options, TimeProvider time, Confirmation.ConfirmationRound confirmation)
{
    /// <summary>The channels a new alert is sent to: <c>influx</c> (annotations) always, webhook and e-mail when set.</summary>
    public IReadOnlyList<string> Channels
    {
        get
        {
            var channels = new List<string> { NotificationChannel.Influx };
            if (options.Value.WebhookUrl is not null)
            {
                channels.Add(NotificationChannel.Webhook);
            }

            if (!string.IsNullOrEmpty(options.Value.SmtpHost) && !string.IsNullOrEmpty(options.Value.SmtpTo))
            {
                channels.Add(NotificationChannel.Email);
            }

            return channels;
        }
    }

    /// <summary>
    /// Applies one rolling-window evaluation of an area (the rows <see cref="AreaCompliance.Alerting"/>): <c>below</c>
    /// counts the streak and opens the alert at <see cref="AlertOptions.ConsecutiveBelow"/>; <c>met</c> resets it and
    /// resolves once the value is back past the margin; <c>inconclusive</c> (the interval straddles the threshold) breaks
    /// the streak without resolving anything; insufficient data and no target change nothing.
    /// </summary>
    /// <param name="row">The evaluated row.</param>
    /// <param name="evaluatedAt">The evaluation instant (the hour).</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <param name="communeTags">
    /// The <c>commune</c> tags of the row's area: with them, a confirmation round against an off-net server runs before
    /// the alert opens (<see cref="Confirmation.ConfirmationRound"/>); without, the alert opens at once.
    /// </param>
    public async Task ApplyComplianceAsync(
        AreaCompliance row, DateTimeOffset evaluatedAt, CancellationToken cancellationToken, IReadOnlyList<string>? communeTags = null)
    {
        if (!row.Alerting || row.Target is null || row.Value is null
            || row.Status is not (ComplianceStatus.Met or ComplianceStatus.Below or ComplianceStatus.Inconclusive))
        {
            return; // insufficient data or no target: neither evidence of a problem nor of recovery
        }

        Confirmation.ConfirmationStep.Wait? waiting = null;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var kind = row.AreaKind == Areas.AreaKind.FormerDistrict ? AlertKind.DistrictBelow : AlertKind.AreaBelow;
            var advanced = await AdvanceStreakAsync(connection, transaction, kind, row.ScopeKey, row.Status == ComplianceStatus.Below, evaluatedAt, cancellationToken);
            if (advanced is not { } applied)
            {
                return; // this evaluation was already applied
            }

            var (streak, since) = applied;
            if (row.Status == ComplianceStatus.Below && streak >= options.Value.ConsecutiveBelow)
            {
                var step = await IsOpenAsync(connection, transaction, kind, row.ScopeKey, cancellationToken)
                    ? new Confirmation.ConfirmationStep.Open(null, null, null)
                    : await confirmation.StepAsync(connection, transaction, kind, row, communeTags, evaluatedAt, cancellationToken);
                if (step is Confirmation.ConfirmationStep.Open open)
                {
                    var (vi, en) = AlertTexts.Below(row, streak, since);
                    if (open is { Round: { } round, Finding: { } finding })
                    {
                        var (confirmedVi, confirmedEn) = AlertTexts.Confirmation(row, finding, open.ServerName ?? round.ServerId, round.Deadline);
                        (vi, en) = ($"{vi}. {confirmedVi}", $"{en}. {confirmedEn}");
                    }

                    var id = await OpenAsync(connection, transaction, kind, row.ScopeKey, vi, row.ProvinceCode, row.DistrictCode, row.Access,
                        row.Technology, null, row.Value, row.Target.Threshold, evaluatedAt, cancellationToken, (row.AreaKind.ToName(), row.AreaCode, row.AreaName),
                        new AlertDetails(row.Operator, row.Estimate.Low, row.Estimate.High, since, en));
                    await confirmation.FinishAsync(connection, transaction, open, row.Metric, id, evaluatedAt, cancellationToken);
                }
                else
                {
                    waiting = (Confirmation.ConfirmationStep.Wait)step;
                }
            }
            else if (row.Status != ComplianceStatus.Below)
            {
                // Met or inconclusive: the streak is broken, a round waiting for it is moot.
                await confirmation.CancelAsync(connection, transaction, kind, row.ScopeKey, evaluatedAt, cancellationToken);
                if (row.Status == ComplianceStatus.Met && row.Target.IsRecovered(row.Value.Value, options.Value.RecoveryMarginPct))
                {
                    await ResolveAsync(connection, transaction, kind, row.ScopeKey, evaluatedAt, cancellationToken);
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }

        if (waiting is { Request: { } request })
        {
            await confirmation.RequestAsync(waiting.RoundId, request, cancellationToken);
        }
    }

    private static async Task<bool> IsOpenAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, string scope, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM alerts WHERE kind = $1 AND scope_key = $2 AND state = 'open')", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = kind });
        command.Parameters.Add(new NpgsqlParameter { Value = scope });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The scope key of a job's row: <c>job/item-kind/id</c>.</summary>
    public static string JobItemScope(string job, string itemKind, string itemId) => $"{job}/{itemKind}/{itemId}";

    /// <summary>Opens (or keeps open) the <c>job_item_failed</c> alert of a row, or resolves it.</summary>
    public async Task ApplyJobItemAsync(string job, string itemKind, string itemId, string reason, bool raised, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var scope = JobItemScope(job, itemKind, itemId);
        if (raised)
        {
            // The row's id and reason go into the texts only (fields), never into tags: the row may be the bad one.
            var vi = $"Công việc {job} bỏ qua {itemKind} {itemId}: {reason}. Các dòng khác vẫn được xử lý.";
            var en = $"Job {job} skipped {itemKind} {itemId}: {reason}. The rest of the run completed.";
            await OpenAsync(connection, transaction, AlertKind.JobItemFailed, scope, vi, null, null, null, null, null, null, null, time.GetUtcNow(),
                cancellationToken, null, new AlertDetails(null, null, null, null, en));
        }
        else
        {
            await ResolveAsync(connection, transaction, AlertKind.JobItemFailed, scope, time.GetUtcNow(), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The open <c>job_item_failed</c> alerts of a job: scope, item kind and item id.</summary>
    public async Task<List<(string Scope, string ItemKind, string ItemId)>> OpenJobItemAlertsAsync(string job, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT scope_key FROM alerts WHERE kind = $1 AND state = 'open' AND scope_key LIKE $2");
        command.Parameters.Add(new NpgsqlParameter { Value = AlertKind.JobItemFailed });
        command.Parameters.Add(new NpgsqlParameter { Value = job + "/%" });
        var open = new List<(string, string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var scope = reader.GetString(0);
            var parts = scope.Split('/', 3);
            if (parts.Length == 3)
            {
                open.Add((scope, parts[1], parts[2]));
            }
        }

        return open;
    }

    /// <summary>
    /// Opens (or keeps open) a probe's alert of <paramref name="kind"/> (<see cref="AlertKind.ProbeSilent"/>,
    /// <see cref="AlertKind.ProbeQuarantine"/>), or resolves it when the condition cleared.
    /// </summary>
    public async Task ApplyProbeAsync(
        string kind, string probeId, string provinceCode, string districtCode, bool raised, string summary, double? value, double? threshold,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (raised)
        {
            await OpenAsync(connection, transaction, kind, probeId, summary, provinceCode, districtCode, null, null, probeId, value, threshold, now, cancellationToken);
        }
        else
        {
            await ResolveAsync(connection, transaction, kind, probeId, now, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Acknowledges an open alert (it stays open until the condition clears).</summary>
    public async Task<bool> AcknowledgeAsync(long id, string by, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE alerts SET acknowledged_at = $2, acknowledged_by = $3 WHERE id = $1 AND acknowledged_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = by });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Alerts, newest first: open ones only, or all (history).</summary>
    public async Task<List<AlertRecord>> ListAsync(bool openOnly, string? provinceCode, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, kind, scope_key, province_code, district_code, access, technology, probe_id, state, summary, value, threshold,
                opened_at, resolved_at, acknowledged_at, acknowledged_by, area_kind, area_code, area_name, operator, ci_low, ci_high, below_since, summary_en
            FROM alerts WHERE (NOT $1 OR state = 'open') AND ($2::text IS NULL OR province_code = $2)
            ORDER BY opened_at DESC, id DESC LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = openOnly });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)provinceCode ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var alerts = new List<AlertRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            alerts.Add(AlertRecord.Read(reader));
        }

        return alerts;
    }

    // The streak and since when it runs (the first "below" of it), or null when this evaluation was applied already.
    private static async Task<(int Streak, DateTimeOffset? Since)?> AdvanceStreakAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, string scope, bool below, DateTimeOffset evaluatedAt, CancellationToken cancellationToken)
    {
        await using (var ensure = new NpgsqlCommand(
            "INSERT INTO alert_streaks (kind, scope_key, consecutive_below, last_evaluated_at) VALUES ($1, $2, 0, '-infinity') ON CONFLICT DO NOTHING",
            connection, transaction))
        {
            ensure.Parameters.Add(new NpgsqlParameter { Value = kind });
            ensure.Parameters.Add(new NpgsqlParameter { Value = scope });
            await ensure.ExecuteNonQueryAsync(cancellationToken);
        }

        int streak;
        DateTimeOffset? since;
        await using (var select = new NpgsqlCommand(
            "SELECT consecutive_below, last_evaluated_at >= $3, below_since FROM alert_streaks WHERE kind = $1 AND scope_key = $2 FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = kind });
            select.Parameters.Add(new NpgsqlParameter { Value = scope });
            select.Parameters.Add(new NpgsqlParameter { Value = evaluatedAt });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (reader.GetBoolean(1))
            {
                return null;
            }

            streak = below ? reader.GetInt32(0) + 1 : 0;
            since = !below ? null : streak == 1 || reader.IsDBNull(2) ? evaluatedAt : reader.GetFieldValue<DateTimeOffset>(2);
        }

        await using var update = new NpgsqlCommand(
            "UPDATE alert_streaks SET consecutive_below = $3, last_evaluated_at = $4, below_since = $5 WHERE kind = $1 AND scope_key = $2", connection, transaction);
        update.Parameters.Add(new NpgsqlParameter { Value = kind });
        update.Parameters.Add(new NpgsqlParameter { Value = scope });
        update.Parameters.Add(new NpgsqlParameter { Value = streak });
        update.Parameters.Add(new NpgsqlParameter { Value = evaluatedAt });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)since ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await update.ExecuteNonQueryAsync(cancellationToken);
        return (streak, since);
    }

    private async Task<long?> OpenAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, string scope, string summary, string? province, string? district,
        string? access, string? technology, string? probeId, double? value, double? threshold, DateTimeOffset at, CancellationToken cancellationToken,
        (string Kind, string Code, string Name)? area = null, AlertDetails? details = null)
    {
        long? id;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO alerts (kind, scope_key, province_code, district_code, access, technology, probe_id, state, summary, value, threshold, opened_at,
                area_kind, area_code, area_name, operator, ci_low, ci_high, below_since, summary_en)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
            ON CONFLICT (kind, scope_key) WHERE state = 'open' DO NOTHING RETURNING id
            """, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = kind });
            insert.Parameters.Add(new NpgsqlParameter { Value = scope });
            foreach (var text in new[] { province, district, access, technology, probeId })
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = (object?)text ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            }

            insert.Parameters.Add(new NpgsqlParameter { Value = summary });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)threshold ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            insert.Parameters.Add(new NpgsqlParameter { Value = at });
            foreach (var text in new[] { area?.Kind, area?.Code, area?.Name, details?.Operator })
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = (object?)text ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            }

            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)Finite(details?.CiLow) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)Finite(details?.CiHigh) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)details?.Since ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)details?.SummaryEn ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });

            id = (long?)await insert.ExecuteScalarAsync(cancellationToken);
        }

        if (id is not null)
        {
            await QueueAsync(connection, transaction, id.Value, "opened", at, cancellationToken);
        }

        return id;
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    private async Task ResolveAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, string scope, DateTimeOffset at, CancellationToken cancellationToken)
    {
        long? id;
        await using (var update = new NpgsqlCommand(
            "UPDATE alerts SET state = 'resolved', resolved_at = $3 WHERE kind = $1 AND scope_key = $2 AND state = 'open' RETURNING id", connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = kind });
            update.Parameters.Add(new NpgsqlParameter { Value = scope });
            update.Parameters.Add(new NpgsqlParameter { Value = at });
            id = (long?)await update.ExecuteScalarAsync(cancellationToken);
        }

        if (id is not null)
        {
            await QueueAsync(connection, transaction, id.Value, "resolved", at, cancellationToken);
        }
    }

    private async Task QueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long alertId, string alertEvent, DateTimeOffset at, CancellationToken cancellationToken)
    {
        foreach (var channel in Channels)
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO alert_notifications (alert_id, event, channel, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4)
                ON CONFLICT DO NOTHING
                """, connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = alertId });
            command.Parameters.Add(new NpgsqlParameter { Value = alertEvent });
            command.Parameters.Add(new NpgsqlParameter { Value = channel });
            command.Parameters.Add(new NpgsqlParameter { Value = at });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}

/// <summary>What a compliance alert carries beyond a probe alert: the operator, the interval, since when, the English text.</summary>
internal sealed record AlertDetails(string? Operator, double? CiLow, double? CiHigh, DateTimeOffset? Since, string? SummaryEn);

/// <summary>
/// An alert as stored and shown. <see cref="Summary"/> is Vietnamese (the area's Vietnamese name first), <see cref="SummaryEn"/>
/// the same in English.
/// </summary>
public sealed record AlertRecord(
    long Id, string Kind, string ScopeKey, string? ProvinceCode, string? DistrictCode, string? Access, string? Technology, string? ProbeId,
    string State, string Summary, double? Value, double? Threshold, DateTimeOffset OpenedAt, DateTimeOffset? ResolvedAt,
    DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, string? AreaKind = null, string? AreaCode = null, string? AreaName = null,
    string? Operator = null, double? CiLow = null, double? CiHigh = null, DateTimeOffset? BelowSince = null, string? SummaryEn = null)
{
    /// <summary>The columns <see cref="Read"/> reads, in order.</summary>
    internal const string Columns = """
        id, kind, scope_key, province_code, district_code, access, technology, probe_id, state, summary, value, threshold,
        opened_at, resolved_at, acknowledged_at, acknowledged_by, area_kind, area_code, area_name, operator, ci_low, ci_high, below_since, summary_en
        """;

    internal static AlertRecord Read(NpgsqlDataReader r, int o = 0)
    {
        string? S(int i) => r.IsDBNull(o + i) ? null : r.GetString(o + i);
        double? D(int i) => r.IsDBNull(o + i) ? null : r.GetDouble(o + i);
        DateTimeOffset? T(int i) => r.IsDBNull(o + i) ? null : r.GetFieldValue<DateTimeOffset>(o + i);
        return new(r.GetInt64(o), r.GetString(o + 1), r.GetString(o + 2), S(3), S(4), S(5), S(6), S(7), r.GetString(o + 8), r.GetString(o + 9),
            D(10), D(11), r.GetFieldValue<DateTimeOffset>(o + 12), T(13), T(14), S(15), S(16), S(17), S(18), S(19), D(20), D(21), T(22), S(23));
    }
}
