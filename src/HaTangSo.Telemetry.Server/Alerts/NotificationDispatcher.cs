using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Resilience;
using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;
using MimeKit;
using Npgsql;
using HaTangSo.Telemetry.Server.Jobs;
using Polly.Registry;

namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>
/// Sends the alert outbox without holding a transaction open while it talks to the outside: it claims a batch of due
/// notifications for a lease (one short statement: <c>FOR UPDATE SKIP LOCKED</c>, then <c>lease_id</c> and
/// <c>lease_until</c> set and committed), sends them, and records each outcome (delivered, or its error and the next
/// attempt: <see cref="DeliveryBackoff"/>, exponential with jitter to <see cref="AlertOptions.MaxRetryDelay"/>) only while it still holds the lease.
/// Several instances share the work and never send one notification at the same time; a dispatcher that crashed
/// leaves leases that expire after <see cref="AlertOptions.NotificationLease"/>, and its notifications are sent by the
/// next run. At least once: a crash between sending and recording resends, with the notification id in the body for
/// the receiver to de-duplicate. E-mail goes over one SMTP connection per batch, with TLS required.
/// </summary>
internal sealed class NotificationDispatcher(
    NpgsqlDataSource dataSource, IHttpClientFactory httpClients, InfluxDbClient influx, IOptions<AlertOptions> options,
    ResiliencePipelineProvider<Dependency> pipelines, Jobs.JobItemFailures failures, TimeProvider time, ILogger<NotificationDispatcher> logger)
{
    /// <summary>The named HTTP client for webhooks.</summary>
    public const string HttpClientName = "alert-webhook";

    private const int BatchSize = 20;

    /// <summary>Delivers what is due now; returns how many were delivered.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var delivered = 0;
        var run = failures.Begin(Jobs.ScheduledJobs.NotificationsId);
        while (!cancellationToken.IsCancellationRequested)
        {
            var batch = await ClaimAsync(cancellationToken);
            if (batch.Items.Count == 0)
            {
                break;
            }

            delivered += await SendAsync(batch, cancellationToken, run);
        }

        return delivered;
    }

    /// <summary>Claims up to <see cref="BatchSize"/> due notifications that nobody holds, for one lease.</summary>
    internal async Task<NotificationBatch> ClaimAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var batch = new NotificationBatch(Guid.NewGuid(), now, now + options.Value.NotificationLease, []);
        await using var claim = dataSource.CreateCommand("""
            WITH claimed AS (
                UPDATE alert_notifications SET lease_id = $2, lease_until = $3
                WHERE id IN (
                    SELECT id FROM alert_notifications
                    WHERE delivered_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
                    ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
                RETURNING id, alert_id, event, channel, attempts)
            SELECT c.id, c.event, c.channel, c.attempts, a.id, a.kind, a.scope_key, a.province_code, a.district_code, a.access, a.technology,
                a.probe_id, a.state, a.summary, a.value, a.threshold, a.opened_at, a.resolved_at, a.acknowledged_at, a.acknowledged_by,
                a.area_kind, a.area_code, a.area_name, a.operator, a.ci_low, a.ci_high, a.below_since, a.summary_en
            FROM claimed c JOIN alerts a ON a.id = c.alert_id
            ORDER BY c.id
            """);
        claim.Parameters.Add(new NpgsqlParameter { Value = now });
        claim.Parameters.Add(new NpgsqlParameter { Value = batch.LeaseId });
        claim.Parameters.Add(new NpgsqlParameter { Value = batch.LeaseUntil });
        claim.Parameters.Add(new NpgsqlParameter { Value = BatchSize });
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            batch.Items.Add(new ClaimedNotification(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), AlertRecord.Read(reader, 4)));
        }

        return batch;
    }

    /// <summary>Sends a claimed batch and records each outcome; stops (and gives the rest back) before its lease runs out.</summary>
    internal async Task<int> SendAsync(NotificationBatch batch, CancellationToken cancellationToken, Jobs.JobRun? run = null)
    {
        var delivered = 0;
        var next = 0;
        var now = batch.ClaimedAt;
        await using var mail = new MailBatch(options.Value);
        try
        {
            for (; next < batch.Items.Count; next++)
            {
                // Half the lease is the margin for one slow send and for clocks that differ between instances.
                if (time.GetUtcNow() >= batch.ClaimedAt + (options.Value.NotificationLease / 2))
                {
                    break;
                }

                var (id, alertEvent, channel, attempts, alert) = batch.Items[next];
                string? error = null;
                try
                {
                    await SendAsync(channel, new AlertNotification(id, alertEvent, alert), mail, cancellationToken);
                    delivered++;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or InfluxDbException or MailKit.ServiceNotConnectedException
                                           or MailKit.Net.Smtp.SmtpCommandException or MailKit.Net.Smtp.SmtpProtocolException or System.Net.Sockets.SocketException
                                           or TaskCanceledException or TimeoutException or MailKit.Security.SslHandshakeException
                                           or MailKit.Security.AuthenticationException or NotSupportedException
                                       && (TransientErrors.IsTransient(ex, cancellationToken) || attempts + 1 < options.Value.PermanentFailureAttempts))
                {
                    // Issue 11.9: transient errors are retried until they pass; a permanent one only a few times.
                    error = ex.Message;
                    logger.NotificationFailed(id, channel, attempts + 1, ex.Message);
                }
                catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or JsonException
                                           or HttpRequestException or IOException or InfluxDbException or MailKit.ServiceNotConnectedException
                                           or MailKit.Net.Smtp.SmtpCommandException or MailKit.Net.Smtp.SmtpProtocolException
                                           or MailKit.Security.SslHandshakeException or MailKit.Security.AuthenticationException or NotSupportedException)
                {
                    // Issue 18.3: a notification that can never be sent (a row planted past the API's rules, a point
                    // InfluxDB refuses) is given up and shown, and the batch goes on; retrying it would block the outbox.
                    // Issue 11.9: so is one whose channel keeps answering with a permanent error (the catch above let
                    // it through after Alerts:PermanentFailureAttempts).
                    logger.NotificationAbandoned(id, ex.Message);
                    await AbandonAsync(id, batch.LeaseId, ex.Message, cancellationToken);
                    // Not for a job_item_failed alert's own notifications: that could feed itself.
                    if (run is not null && alert.Kind != AlertKind.JobItemFailed)
                    {
                        await run.FailedAsync("notification", id.ToString(System.Globalization.CultureInfo.InvariantCulture), ex, cancellationToken);
                    }

                    continue;
                }

                var delay = DeliveryBackoff.Next(attempts, options.Value.MaxRetryDelay);
                if (!await RecordAsync(id, batch.LeaseId, error, now + delay, cancellationToken))
                {
                    logger.NotificationLeaseLost(id);
                }
            }
        }
        finally
        {
            if (next < batch.Items.Count)
            {
                await ReleaseAsync(batch, batch.Items.Skip(next).Select(n => n.Id).ToArray());
            }
        }

        return delivered;
    }

    // Only the holder of the lease records: after a lease expired and another dispatcher took the notification over,
    // this outcome is not ours to write.
    private async Task<bool> RecordAsync(long id, Guid leaseId, string? error, DateTimeOffset nextAttempt, CancellationToken cancellationToken)
    {
        await using var update = dataSource.CreateCommand("""
            UPDATE alert_notifications SET attempts = attempts + 1, delivered_at = CASE WHEN $2::text IS NULL THEN $3 END,
                last_error = $2, next_attempt_at = $4, lease_id = NULL, lease_until = NULL
            WHERE id = $1 AND lease_id = $5
            """);
        update.Parameters.Add(new NpgsqlParameter { Value = id });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        update.Parameters.Add(new NpgsqlParameter { Value = nextAttempt });
        update.Parameters.Add(new NpgsqlParameter { Value = leaseId });
        return await update.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private async Task AbandonAsync(long id, Guid leaseId, string error, CancellationToken cancellationToken)
    {
        await using var update = dataSource.CreateCommand("""
            UPDATE alert_notifications SET attempts = attempts + 1, last_error = $2, abandoned_at = $3, lease_id = NULL, lease_until = NULL
            WHERE id = $1 AND lease_id = $4
            """);
        update.Parameters.Add(new NpgsqlParameter { Value = id });
        update.Parameters.Add(new NpgsqlParameter { Value = error });
        update.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        update.Parameters.Add(new NpgsqlParameter { Value = leaseId });
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    // Unsent notifications of a batch go back at once instead of waiting for the lease to expire.
    private async Task ReleaseAsync(NotificationBatch batch, long[] ids)
    {
        try
        {
            await using var release = dataSource.CreateCommand(
                "UPDATE alert_notifications SET lease_id = NULL, lease_until = NULL WHERE id = ANY($1) AND lease_id = $2");
            release.Parameters.Add(new NpgsqlParameter { Value = ids });
            release.Parameters.Add(new NpgsqlParameter { Value = batch.LeaseId });
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException ex)
        {
            logger.NotificationReleaseFailed(ids.Length, ex.Message); // the lease expires by itself
        }
    }

    // Through the channel's pipeline (a time limit, with telemetry); the outbox's schedule is the retry (DeliveryBackoff).
    private async Task SendAsync(string channel, AlertNotification notification, MailBatch mail, CancellationToken cancellationToken)
    {
        if (channel is not (NotificationChannel.Webhook or NotificationChannel.Email))
        {
            await SendOnceAsync(channel, notification, mail, cancellationToken); // InfluxDB's client has its own time limit
            return;
        }

        var dependency = channel == NotificationChannel.Webhook ? Dependency.Webhook : Dependency.Smtp;
        try
        {
            await pipelines.ExecuteAsync(dependency, "alert notification", async ct => await SendOnceAsync(channel, notification, mail, ct), cancellationToken);
        }
        catch (Polly.Timeout.TimeoutRejectedException ex)
        {
            throw new TimeoutException($"{dependency} did not answer in time", ex); // transient: retried
        }
    }

    private async Task SendOnceAsync(string channel, AlertNotification notification, MailBatch mail, CancellationToken cancellationToken)
    {
        var alert = notification.Alert;
        switch (channel)
        {
            case NotificationChannel.Webhook:
                using (var response = await httpClients.CreateClient(HttpClientName).PostAsJsonAsync(
                    options.Value.WebhookUrl, notification, AlertJsonContext.Default.AlertNotification, cancellationToken))
                {
                    response.EnsureSuccessStatusCode();
                }

                break;
            case NotificationChannel.Email:
                await mail.SendAsync(Message(notification), cancellationToken);
                break;
            case NotificationChannel.Influx:
                var at = notification.Event == "resolved" ? alert.ResolvedAt ?? alert.OpenedAt : alert.OpenedAt;
                var line = new LineBuilder().Measurement("alert_events")
                    .Tag("kind", alert.Kind).Tag("event", notification.Event).Tag("province", alert.ProvinceCode).Tag("district", alert.DistrictCode)
                    .Tag("area_kind", alert.AreaKind).Tag("area", alert.AreaCode)
                    .Tag("access", alert.Access).Tag("technology", alert.Technology).Tag("probe", alert.ProbeId).Tag("operator", alert.Operator)
                    .Field("alert_id", alert.Id).Field("text", alert.Summary).Field("text_en", alert.SummaryEn).Field("area_name", alert.AreaName)
                    .Field("value", alert.Value).Field("threshold", alert.Threshold).Field("ci_low", alert.CiLow).Field("ci_high", alert.CiHigh)
                    .Field("open", notification.Event == "resolved" ? 0L : 1L) // the open-alerts panel: the latest point of a scope
                    .Timestamp(WritePrecision.Milliseconds.ToTimestamp(at));
                await influx.WriteAsync(line.ToString(), WritePrecision.Milliseconds, cancellationToken);
                break;
            default:
                throw new IOException($"unknown channel {channel}");
        }
    }

    private static string VerdictTextsTime(AlertRecord alert) =>
        "mở lúc " + Compliance.VerdictTexts.Time(alert.OpenedAt) + (alert.ResolvedAt is { } resolved ? ", đóng lúc " + Compliance.VerdictTexts.Time(resolved) : string.Empty)
        + " (giờ Việt Nam)";

    private MimeMessage Message(AlertNotification notification)
    {
        var settings = options.Value;
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(settings.SmtpFrom));
        foreach (var to in settings.SmtpTo!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        // Vietnamese first (the subject and the first paragraph), English beside it, the JSON for machines last.
        var alert = notification.Alert;
        var eventVi = notification.Event == "resolved" ? "Đã hết cảnh báo" : "Cảnh báo";
        message.Subject = $"[HaTangSo] {eventVi}: {alert.Summary}";
        message.Body = new TextPart("plain")
        {
            Text = $"{eventVi} ({notification.Event}), {VerdictTextsTime(alert)}\n\n{alert.Summary}\n\n{alert.SummaryEn ?? alert.Summary}\n\n"
                + JsonSerializer.Serialize(notification, AlertJsonContext.Default.AlertNotification),
        };
        return message;
    }
}

/// <summary>A notification claimed for sending.</summary>
internal sealed record ClaimedNotification(long Id, string Event, string Channel, int Attempts, AlertRecord Alert);

/// <summary>Notifications claimed together under one lease.</summary>
internal sealed record NotificationBatch(Guid LeaseId, DateTimeOffset ClaimedAt, DateTimeOffset LeaseUntil, List<ClaimedNotification> Items);

/// <summary>Source-generated JSON for notifications.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(AlertNotification))]
internal sealed partial class AlertJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
