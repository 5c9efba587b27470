namespace HaTangSo.Telemetry.Server.Resilience;

/// <summary>
/// The services the server depends on. Each has one named resilience pipeline (<see cref="ResilienceExtensions"/>),
/// declared once and used by everything that talks to it.
/// </summary>
public enum Dependency
{
    /// <summary>InfluxDB: result points, rollups, alert events.</summary>
    InfluxDb,

    /// <summary>PostgreSQL: registry, quarantine, probe status, targets, jobs.</summary>
    PostgreSql,

    /// <summary>The MQTT broker: ingestion's session and the dynamic-security control topic.</summary>
    Broker,

    /// <summary>The alert webhook.</summary>
    Webhook,

    /// <summary>The SMTP relay for alert e-mail.</summary>
    Smtp,
}
