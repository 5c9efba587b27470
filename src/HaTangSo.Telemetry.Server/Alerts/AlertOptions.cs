using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>When alerts open and close and where they go, bound from <c>Alerts</c>.</summary>
public sealed class AlertOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Alerts";

    /// <summary>Consecutive <c>below</c> evaluations before a district alert opens (default 2).</summary>
    [Range(1, 100)]
    public int ConsecutiveBelow { get; set; } = 2;

    /// <summary>
    /// Before an area's <c>below</c> alert opens, confirm it against an off-net server (a speed-test server registered with
    /// role <c>confirmation</c>): the alert waits for that round and says what it found (default true; without a
    /// confirmation server the alert opens at once).
    /// </summary>
    public bool ConfirmationRound { get; set; } = true;

    /// <summary>Longest wait for a confirmation round; the alert then opens with what arrived (default 3 hours).</summary>
    [Range(typeof(TimeSpan), "00:10:00", "2.00:00:00", ErrorMessage = "Alerts:ConfirmationTimeout must be between 10 minutes and 2 days.")]
    public TimeSpan ConfirmationTimeout { get; set; } = TimeSpan.FromHours(3);

    /// <summary>
    /// Results against the confirmation server that end a round early (default 3; fewer when fewer measurements were
    /// asked for).
    /// </summary>
    [Range(1, 1000, ErrorMessage = "Alerts:ConfirmationResults must be between 1 and 1000.")]
    public int ConfirmationResults { get; set; } = 3;

    /// <summary>Percent past the threshold a district must reach before its alert resolves (default 5).</summary>
    [Range(0, 100)]
    public double RecoveryMarginPct { get; set; } = 5;

    /// <summary>A probe silent for more than this many of its schedule intervals raises an alert (default 2).</summary>
    [Range(1, 1000)]
    public double SilentAfterIntervals { get; set; } = 2;

    /// <summary>
    /// A probe with more messages quarantined than this in the last hour raises an alert (a broken or stolen probe;
    /// an honest probe with two links on a 15-minute schedule sends 8 results an hour). Default 20.
    /// </summary>
    [Range(1, 1_000_000)]
    public int QuarantinePerHour { get; set; } = 20;

    /// <summary>Where alert events are POSTed as JSON; none when unset.</summary>
    public Uri? WebhookUrl { get; set; }

    /// <summary>SMTP relay for e-mail notifications; none when unset.</summary>
    public string? SmtpHost { get; set; }

    /// <summary>SMTP port (default 587, the submission port with STARTTLS; 465 with <see cref="SmtpSecurity.Tls"/>).</summary>
    [Range(1, 65535)]
    public int SmtpPort { get; set; } = 587;

    /// <summary>
    /// How the SMTP connection is protected: <c>StartTls</c> (default; the server must offer STARTTLS, there is no
    /// plaintext fallback) or <c>Tls</c> (implicit TLS from the first byte, port 465).
    /// </summary>
    public SmtpSecurity SmtpSecurity { get; set; } = SmtpSecurity.StartTls;

    /// <summary>A CA certificate (PEM) that signed the SMTP server's, instead of the system's trust store (a provincial private CA).</summary>
    public string? SmtpCaCertificatePath { get; set; }

    /// <summary>SMTP login (optional); the password comes from <c>Alerts:SmtpPassword</c> in the environment.</summary>
    public string? SmtpUsername { get; set; }

    /// <summary>SMTP password (environment or secret file only).</summary>
    public string? SmtpPassword { get; set; }

    /// <summary>Sender address.</summary>
    public string SmtpFrom { get; set; } = "hatangso-alerts@localhost";

    /// <summary>Recipients, comma-separated.</summary>
    public string? SmtpTo { get; set; }

    /// <summary>Longest wait between delivery attempts of one notification (default 1 hour).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Attempts after which a notification that failed with a permanent error (a webhook's 4xx other than 408/429, an
    /// SMTP 5yz reply, a refused TLS handshake or login) is given up (default 3: a configuration fixed within the first
    /// minutes of backoff still delivers). Transient errors (no answer, 5xx, 4yz) are retried at
    /// <see cref="MaxRetryDelay"/> until they pass.
    /// </summary>
    [Range(1, 100, ErrorMessage = "Alerts:PermanentFailureAttempts must be between 1 and 100.")]
    public int PermanentFailureAttempts { get; set; } = 3;

    /// <summary>
    /// How long a dispatcher holds the notifications it claimed (default 5 minutes): another instance takes them over
    /// only after it expires (a crashed dispatcher). A dispatcher stops sending a batch after half of it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:30", "01:00:00", ErrorMessage = "Alerts:NotificationLease must be between 30 seconds and 1 hour.")]
    public TimeSpan NotificationLease { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>How the SMTP connection is protected; both require TLS.</summary>
public enum SmtpSecurity
{
    /// <summary>STARTTLS on the submission port (587); refused when the server does not offer it.</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    Tls,
}

/// <summary>Validates <see cref="AlertOptions"/> at start-up.</summary>
[OptionsValidator]
internal sealed partial class AlertOptionsValidator : IValidateOptions<AlertOptions>;
