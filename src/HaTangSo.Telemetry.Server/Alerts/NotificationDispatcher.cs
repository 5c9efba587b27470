using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.InfluxDb;
using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;
using MimeKit;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>
/// Sends the alert outbox: claims due notifications with <c>FOR UPDATE SKIP LOCKED</c> (so several instances
/// share the work and none sends a notification twice), delivers each, and records it, or its error and the
/// next attempt (exponential backoff to <see cref="AlertOptions.MaxRetryDelay"/>). A crash before the commit
/// leaves the notification due: at-least-once, with the notification id in the body for the receiver to
/// de-duplicate.
/// </summary>
internal sealed class NotificationDispatcher(
    NpgsqlDataSource dataSource, IHttpClientFactory httpClients, InfluxDbClient influx, IOptions<AlertOptions> options,
    TimeProvider time, ILogger<NotificationDispatcher> logger)
{
    /// <summary>The named HTTP client for webhooks.</summary>
    public const string HttpClientName = "alert-webhook";

    /// <summary>Delivers what is due now; returns how many were delivered.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var delivered = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var now = time.GetUtcNow();
            var due = new List<(long Id, string Event, string Channel, int Attempts, AlertRecord Alert)>();
            await using (var claim = new NpgsqlCommand("""
                SELECT n.id, n.event, n.channel, n.attempts, a.id, a.kind, a.scope_key, a.province_code, a.district_code, a.access, a.technology,
                    a.probe_id, a.state, a.summary, a.value, a.threshold, a.opened_at, a.resolved_at, a.acknowledged_at, a.acknowledged_by,
                    a.area_kind, a.area_code, a.area_name
                FROM alert_notifications n JOIN alerts a ON a.id = n.alert_id
                WHERE n.delivered_at IS NULL AND n.next_attempt_at <= $1
                ORDER BY n.id LIMIT 20 FOR UPDATE OF n SKIP LOCKED
                """, connection, transaction))
            {
                claim.Parameters.Add(new NpgsqlParameter { Value = now });
                await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    due.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), AlertRecord.Read(reader, 4)));
                }
            }

            if (due.Count == 0)
            {
                return delivered;
            }

            foreach (var (id, alertEvent, channel, attempts, alert) in due)
            {
                string? error = null;
                try
                {
                    await SendAsync(channel, new AlertNotification(id, alertEvent, alert), cancellationToken);
                    delivered++;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or InfluxDbException or MailKit.ServiceNotConnectedException
                                           or MailKit.Net.Smtp.SmtpCommandException or MailKit.Net.Smtp.SmtpProtocolException or System.Net.Sockets.SocketException
                                           or TaskCanceledException)
                {
                    error = ex.Message;
                    logger.NotificationFailed(id, channel, attempts + 1, ex.Message);
                }

                var delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks << Math.Min(attempts, 20), options.Value.MaxRetryDelay.Ticks));
                await using var update = new NpgsqlCommand("""
                    UPDATE alert_notifications SET attempts = attempts + 1, delivered_at = CASE WHEN $2::text IS NULL THEN $3 END,
                        last_error = $2, next_attempt_at = $4 WHERE id = $1
                    """, connection, transaction);
                update.Parameters.Add(new NpgsqlParameter { Value = id });
                update.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                update.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
                update.Parameters.Add(new NpgsqlParameter { Value = now + delay });
                await update.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        return delivered;
    }

    private async Task SendAsync(string channel, AlertNotification notification, CancellationToken cancellationToken)
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
                await SendMailAsync(notification, cancellationToken);
                break;
            case NotificationChannel.Influx:
                var at = notification.Event == "resolved" ? alert.ResolvedAt ?? alert.OpenedAt : alert.OpenedAt;
                var line = new LineBuilder().Measurement("alert_events")
                    .Tag("kind", alert.Kind).Tag("event", notification.Event).Tag("province", alert.ProvinceCode).Tag("district", alert.DistrictCode)
                    .Tag("area_kind", alert.AreaKind).Tag("area", alert.AreaCode)
                    .Tag("access", alert.Access).Tag("technology", alert.Technology).Tag("probe", alert.ProbeId)
                    .Field("alert_id", alert.Id).Field("text", alert.Summary).Field("area_name", alert.AreaName).Field("value", alert.Value).Field("threshold", alert.Threshold)
                    .Field("open", notification.Event == "resolved" ? 0L : 1L) // the open-alerts panel: the latest point of a scope
                    .Timestamp(WritePrecision.Milliseconds.ToTimestamp(at));
                await influx.WriteAsync(line.ToString(), WritePrecision.Milliseconds, cancellationToken);
                break;
            default:
                throw new IOException($"unknown channel {channel}");
        }
    }

    private async Task SendMailAsync(AlertNotification notification, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(settings.SmtpFrom));
        foreach (var to in settings.SmtpTo!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        message.Subject = $"[HaTangSo] {notification.Event}: {notification.Alert.Summary}";
        message.Body = new TextPart("plain") { Text = JsonSerializer.Serialize(notification, AlertJsonContext.Default.AlertNotification) };
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync(settings.SmtpHost!, settings.SmtpPort, MailKit.Security.SecureSocketOptions.Auto, cancellationToken);
        if (!string.IsNullOrEmpty(settings.SmtpUsername))
        {
            await smtp.AuthenticateAsync(settings.SmtpUsername, settings.SmtpPassword ?? string.Empty, cancellationToken);
        }

        await smtp.SendAsync(message, cancellationToken);
        await smtp.DisconnectAsync(quit: true, cancellationToken);
    }
}

/// <summary>Source-generated JSON for notifications.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(AlertNotification))]
internal sealed partial class AlertJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
