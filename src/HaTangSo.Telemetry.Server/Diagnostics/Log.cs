namespace HaTangSo.Telemetry.Server.Diagnostics;

/// <summary>
/// Every log line of the server (source-generated). Event ids by area: 1xxx MQTT, 2xxx InfluxDB,
/// 3xxx jobs and the registry, 4xxx API. Payloads, passwords and tokens are never logged.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Connected to MQTT broker {Host}:{Port} (session present: {SessionPresent})")]
    public static partial void MqttConnected(this ILogger logger, string host, int port, bool sessionPresent);

    [LoggerMessage(1001, LogLevel.Warning, "Disconnected from the MQTT broker ({Reason}): {Error}")]
    public static partial void MqttDisconnected(this ILogger logger, string reason, string? error);

    [LoggerMessage(1002, LogLevel.Warning, "Could not connect to MQTT broker {Host}:{Port}, retrying in {Delay}: {Error}")]
    public static partial void MqttConnectFailed(this ILogger logger, string host, int port, TimeSpan delay, string error);

    [LoggerMessage(1003, LogLevel.Error, "The broker refused the subscription to {Topic}: {Reason}")]
    public static partial void MqttSubscriptionRefused(this ILogger logger, string topic, string reason);

    [LoggerMessage(1004, LogLevel.Debug, "Acknowledgement not sent (the connection that delivered the message is gone; the broker will redeliver): {Error}")]
    public static partial void MqttAckFailed(this ILogger logger, string error);

    [LoggerMessage(1500, LogLevel.Warning, "Probe {ProbeId}: {Count} message(s) quarantined ({Kind}): {Reason}. Further refusals of this probe in the next minute are summarised.")]
    public static partial void MessageQuarantined(this ILogger logger, string probeId, string kind, string reason, long count);

    [LoggerMessage(1501, LogLevel.Warning, "Probe {ProbeId}: {Count} more message(s) quarantined in the minute from {Start:u} ({Kinds}); the latest: {Reason}")]
    public static partial void MessagesQuarantinedSummary(this ILogger logger, string probeId, long count, DateTimeOffset start, string kinds, string reason);

    [LoggerMessage(1502, LogLevel.Error, "A batch step failed on bad data ({Count} messages); splitting the batch to find the message that causes it")]
    public static partial void BatchBisecting(this ILogger logger, Exception exception, int count);

    [LoggerMessage(1503, LogLevel.Critical, "A message on {Topic} could not even be quarantined; it is acknowledged and counted as dropped")]
    public static partial void MessageDropped(this ILogger logger, Exception exception, string topic);

    [LoggerMessage(1504, LogLevel.Error, "The ingestion batch writer failed unexpectedly; it carries on with the next batch (the broker redelivers this one after a reconnect)")]
    public static partial void BatchWriterFailed(this ILogger logger, Exception exception);

    [LoggerMessage(1505, LogLevel.Error, "The MQTT connection loop failed unexpectedly, reconnecting in {Delay}")]
    public static partial void MqttLoopFailed(this ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(1506, LogLevel.Information, "Speed-test server {ServerId} registered at start-up ({Url}); set its name and capacity with PUT /api/servers/{ServerId}")]
    public static partial void SpeedTestServerSeeded(this ILogger logger, string serverId, Uri url);

    [LoggerMessage(1507, LogLevel.Information, "Speed-test server {ServerId} registered or changed (capacity {CapacityMbps} Mb/s, enabled: {Enabled})")]
    public static partial void SpeedTestServerSaved(this ILogger logger, string serverId, double capacityMbps, bool enabled);

    [LoggerMessage(2500, LogLevel.Information, "Housekeeping: {Quarantine} quarantine rows and {ResultIds} result ids deleted (retention {RetentionDays} days, at most {MaxRows} quarantine rows, result ids older than {MaxResultAge})")]
    public static partial void HousekeepingDone(this ILogger logger, long quarantine, long resultIds, int retentionDays, long maxRows, TimeSpan maxResultAge);

    [LoggerMessage(2501, LogLevel.Error, "The registry reload failed unexpectedly, retrying in {Delay}")]
    public static partial void RegistryReloadFailed(this ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(2000, LogLevel.Information, "InfluxDB {Version} at {Address}: database {Database} ready")]
    public static partial void InfluxReady(this ILogger logger, string? version, Uri address, string database);

    [LoggerMessage(2001, LogLevel.Warning, "Write to {Target} failed, retrying in {Delay}: {Error}")]
    public static partial void WriteRetry(this ILogger logger, string target, TimeSpan delay, string error);

    [LoggerMessage(2002, LogLevel.Debug, "Batch of {Count} messages durable: {Points} points written, {Quarantined} quarantined in {Elapsed}")]
    public static partial void BatchWritten(this ILogger logger, int count, int points, int quarantined, TimeSpan elapsed);

    [LoggerMessage(2003, LogLevel.Warning, "InfluxDB is not reachable at start-up, retrying in {Delay}: {Error}")]
    public static partial void InfluxUnavailableAtStartup(this ILogger logger, TimeSpan delay, string error);

    [LoggerMessage(3000, LogLevel.Information, "Applied database migration {Version} ({Name})")]
    public static partial void MigrationApplied(this ILogger logger, int version, string name);

    [LoggerMessage(3001, LogLevel.Information, "Region catalogue loaded: {Provinces} provinces, {Districts} districts, {Communes} communes")]
    public static partial void CatalogSeeded(this ILogger logger, int provinces, int districts, int communes);

    [LoggerMessage(3002, LogLevel.Debug, "Probe registry reloaded: {Count} probes")]
    public static partial void RegistryReloaded(this ILogger logger, int count);

    [LoggerMessage(3003, LogLevel.Warning, "Lost the registry change notifications, retrying in {Delay}")]
    public static partial void RegistryListenFailed(this ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(3004, LogLevel.Warning, "PostgreSQL is not reachable at start-up, retrying in {Delay}")]
    public static partial void DatabaseUnavailableAtStartup(this ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(3100, LogLevel.Information, "Compliance evaluated for {EvaluatedAt:u}: {Rows} rows in {Elapsed}")]
    public static partial void ComplianceEvaluated(this ILogger logger, DateTimeOffset evaluatedAt, int rows, TimeSpan elapsed);

    [LoggerMessage(3101, LogLevel.Information, "Rollups {Kind} written up to {Until:u}: {Points} points in {Elapsed}")]
    public static partial void RollupsWritten(this ILogger logger, string kind, DateTimeOffset until, int points, TimeSpan elapsed);

    [LoggerMessage(3102, LogLevel.Warning, "Notification {NotificationId} over {Channel} failed (attempt {Attempt}): {Reason}")]
    public static partial void NotificationFailed(this ILogger logger, long notificationId, string channel, int attempt, string reason);

    [LoggerMessage(3103, LogLevel.Information, "Monthly report for province {Province} {Month:yyyy-MM} stored ({Rows} rows, {Silent} silent probes)")]
    public static partial void ReportStored(this ILogger logger, string province, DateOnly month, int rows, int silent);

    [LoggerMessage(3104, LogLevel.Information, "Targets loaded from {Path}: {Added} added, {Updated} updated")]
    public static partial void TargetsImported(this ILogger logger, string path, int added, int updated);

    [LoggerMessage(4100, LogLevel.Information, "Broker client {Username} has the server's read-only role")]
    public static partial void ServerIdentityEnsured(this ILogger logger, string? username);

    [LoggerMessage(4101, LogLevel.Warning, "Could not set up the server's broker client ({Reason}); retrying in {Delay}")]
    public static partial void ServerIdentityFailed(this ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(4102, LogLevel.Information, "Probe {ProbeId} enrolled in commune {CommuneCode}: new broker credentials issued")]
    public static partial void ProbeEnrolled(this ILogger logger, string probeId, string communeCode);

    [LoggerMessage(4103, LogLevel.Warning, "Probe {ProbeId} revoked: broker client deleted, results refused from now on")]
    public static partial void ProbeRevoked(this ILogger logger, string probeId);

    [LoggerMessage(4000, LogLevel.Information, "Probe {ProbeId} registered in commune {CommuneCode} with {Links} links")]
    public static partial void ProbeRegistered(this ILogger logger, string probeId, string communeCode, int links);
}
