using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>Broker connection settings, bound from <c>Mqtt</c>.</summary>
public sealed class MqttOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Mqtt";

    /// <summary>The broker's host name or address.</summary>
    [Required(ErrorMessage = "Mqtt:Host is required.")]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The broker's port.</summary>
    [Range(1, 65535, ErrorMessage = "Mqtt:Port must be between 1 and 65535.")]
    public int Port { get; set; } = 1883;

    /// <value>Stable across restarts: the broker keys the persistent session on it. Unique per instance.</value>
    [Required(ErrorMessage = "Mqtt:ClientId is required.")]
    [RegularExpression("^[A-Za-z0-9_-]{1,64}$", ErrorMessage = "Mqtt:ClientId must be 1-64 letters, digits, '-' or '_'.")]
    public string ClientId { get; set; } = "hts-server-1";

    /// <summary>The server's broker username (it may read results and status only).</summary>
    public string? Username { get; set; }

    /// <summary>The server's broker password; from the environment or a secrets file, never the repository.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// How long the broker keeps the session (subscription and unacknowledged results) while the server is
    /// away (MQTT 5, 3.1.2.11.2).
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "49710.00:00:00", ErrorMessage = "Mqtt:SessionExpiry must be between 1 minute and 136 years.")]
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Receive Maximum (MQTT 5, 3.1.2.11.3): results in flight to this instance, unacknowledged. Must be at
    /// least the batch size, or batches never fill.
    /// </summary>
    [Range(1, 65535, ErrorMessage = "Mqtt:ReceiveMaximum must be between 1 and 65535.")]
    public int ReceiveMaximum { get; set; } = 20_000;

    /// <summary>MQTT keep-alive.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00", ErrorMessage = "Mqtt:KeepAlive must be between 5 seconds and 1 hour.")]
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait before reconnecting; doubles up to <see cref="ReconnectMaxDelay"/>, with jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "Mqtt:ReconnectInitialDelay must be between 10 ms and 10 minutes.")]
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between reconnect attempts.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Mqtt:ReconnectMaxDelay must be between 10 ms and 1 hour.")]
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Connect over TLS.</summary>
    public bool UseTls { get; set; }

    /// <summary>A CA certificate (PEM) to trust for the broker, instead of the system's store.</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>
    /// The live lane: a second, short-lived session that lets results published during a backlog drain overtake the
    /// backlog (<c>Mqtt:LiveLane</c>).
    /// </summary>
    [ValidateObjectMembers]
    public LiveLaneOptions LiveLane { get; set; } = new();

    /// <summary>The live lane's client id (and, with provisioning on, its broker login): <c>{ClientId}-live</c>.</summary>
    public string LiveClientId => ClientId + "-live";
}

[OptionsValidator]
internal sealed partial class MqttOptionsValidator : IValidateOptions<MqttOptions>;
