namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>Where alert events go.</summary>
internal static class NotificationChannel
{
    /// <summary>An <c>alert_events</c> point, for Grafana annotations.</summary>
    public const string Influx = "influx";

    /// <summary>A JSON POST to <see cref="AlertOptions.WebhookUrl"/>.</summary>
    public const string Webhook = "webhook";

    /// <summary>An e-mail through <see cref="AlertOptions.SmtpHost"/>.</summary>
    public const string Email = "email";
}

/// <summary>The JSON body of a webhook notification (and the e-mail's content).</summary>
public sealed record AlertNotification(long NotificationId, string Event, AlertRecord Alert);
