using System.Text.Json;
using System.Text.Unicode;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Releases;
using Npgsql;
using NpgsqlTypes;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>A status message of a registered probe, ready to be recorded.</summary>
internal sealed record AcceptedStatus(ReceivedMessage Message, StatusMessage Status);

/// <summary>
/// Probe status messages (retained; the last will says offline): the latest per probe goes to PostgreSQL
/// (the API's "last seen" and queue depth) and each one becomes a <c>probe_status</c> point for the fleet
/// dashboard. Every server instance receives them (not a shared subscription); the upsert is idempotent and a batch
/// is one statement.
/// </summary>
internal sealed class ProbeStatusHandler(NpgsqlDataSource dataSource)
{
    private const string UpsertSql = """
        INSERT INTO probe_status (probe_id, state, reported_at, received_at, agent_version, queue_depth, queue_evicted, last_result_at, last_error,
            config_version, config_error, upgrade_state, upgrade_from, upgrade_to, upgrade_at, upgrade_detail)
        SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::bigint[], $7::bigint[], $8::timestamptz[], $9::text[],
            $10::bigint[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[], $16::text[])
        ON CONFLICT (probe_id) DO UPDATE SET state = excluded.state, reported_at = excluded.reported_at,
            received_at = excluded.received_at, agent_version = COALESCE(excluded.agent_version, probe_status.agent_version),
            queue_depth = COALESCE(excluded.queue_depth, probe_status.queue_depth),
            queue_evicted = COALESCE(excluded.queue_evicted, probe_status.queue_evicted),
            last_result_at = COALESCE(excluded.last_result_at, probe_status.last_result_at),
            last_error = excluded.last_error,
            config_version = COALESCE(excluded.config_version, probe_status.config_version),
            config_error = CASE WHEN excluded.state = 'online' THEN excluded.config_error ELSE probe_status.config_error END,
            upgrade_state = COALESCE(excluded.upgrade_state, probe_status.upgrade_state),
            upgrade_from = CASE WHEN excluded.upgrade_state IS NULL THEN probe_status.upgrade_from ELSE excluded.upgrade_from END,
            upgrade_to = CASE WHEN excluded.upgrade_state IS NULL THEN probe_status.upgrade_to ELSE excluded.upgrade_to END,
            upgrade_at = CASE WHEN excluded.upgrade_state IS NULL THEN probe_status.upgrade_at ELSE excluded.upgrade_at END,
            upgrade_detail = CASE WHEN excluded.upgrade_state IS NULL THEN probe_status.upgrade_detail ELSE excluded.upgrade_detail END
        WHERE probe_status.received_at <= excluded.received_at
        """;

    /// <summary>Reads a status message; the refusal says why it cannot be used.</summary>
    internal static (StatusMessage? Status, Refusal? Refusal) Parse(ReadOnlyMemory<byte> payload, string topicProbeId)
    {
        if (payload.Length > ResultLimits.MaxPayloadBytes || !Utf8.IsValid(payload.Span))
        {
            return Refused("status: payload too large or not UTF-8");
        }

        StatusMessage? status;
        try
        {
            status = JsonSerializer.Deserialize(payload.Span, ContractsJsonContext.Default.StatusMessage);
        }
        catch (JsonException ex)
        {
            return Refused("status: invalid JSON or wrong type: " + ex.Message);
        }

        return status switch
        {
            null => Refused("status: payload is JSON null"),
            { Schema: not StatusMessage.SchemaName } => Refused($"status: schema must be '{StatusMessage.SchemaName}'"),
            { State: not (ProbeState.Online or ProbeState.Offline) } => Refused("status: state must be 'online' or 'offline'"),
            _ when status.ProbeId != topicProbeId => Refused("status: probeId differs from the topic"),
            { QueueDepth: < 0 } or { QueueEvicted: < 0 } => Refused("status: negative queue counter"),
            { ConfigVersion: < 0 } => Refused("status: negative configVersion"),
            { ConfigError.Length: > ResultLimits.MaxErrorString } => Refused("status: configError too long"),
            { Upgrade: { } upgrade } when !Enum.IsDefined(upgrade.State) => Refused("status: upgrade.state must be trial, confirmed, rolled-back or rollback-failed"),
            { Upgrade: { } upgrade } when !IsVersion(upgrade.From) || !IsVersion(upgrade.To) => Refused("status: upgrade.from and upgrade.to must be Semantic Versions"),
            { Upgrade.Detail.Length: > ResultLimits.MaxErrorString } => Refused("status: upgrade.detail too long"),
            _ => (status, null),
        };
    }

    /// <summary>Records the latest status of each probe of the batch (earlier ones fill what the latest leaves out).</summary>
    public async Task UpsertAsync(IReadOnlyList<AcceptedStatus> accepted, CancellationToken cancellationToken)
    {
        if (accepted.Count == 0)
        {
            return;
        }

        // ON CONFLICT DO UPDATE may touch a row once per statement: merge a probe's statuses of this batch first.
        var latest = new Dictionary<string, (StatusMessage Status, DateTimeOffset ReceivedAt)>(StringComparer.Ordinal);
        foreach (var (message, status) in accepted)
        {
            latest[status.ProbeId] = latest.TryGetValue(status.ProbeId, out var earlier)
                ? (status with
                {
                    AgentVersion = status.AgentVersion ?? earlier.Status.AgentVersion,
                    QueueDepth = status.QueueDepth ?? earlier.Status.QueueDepth,
                    QueueEvicted = status.QueueEvicted ?? earlier.Status.QueueEvicted,
                    LastResultAt = status.LastResultAt ?? earlier.Status.LastResultAt,
                    ConfigVersion = status.ConfigVersion ?? earlier.Status.ConfigVersion,
                    Upgrade = status.Upgrade ?? earlier.Status.Upgrade,
                }, message.ReceivedAt)
                : (status, message.ReceivedAt);
        }

        var rows = latest.Values.ToArray();
        await using var command = dataSource.CreateCommand(UpsertSql);
        Add(command, NpgsqlDbType.Text, rows.Select(r => r.Status.ProbeId).ToArray());
        Add(command, NpgsqlDbType.Text, rows.Select(r => r.Status.State).ToArray());
        Add(command, NpgsqlDbType.TimestampTz, rows.Select(r => Utc(r.Status.At)).ToArray());
        Add(command, NpgsqlDbType.TimestampTz, rows.Select(r => Utc(r.ReceivedAt)).ToArray());
        Add(command, NpgsqlDbType.Text, rows.Select(r => Clean(r.Status.AgentVersion)).ToArray());
        Add(command, NpgsqlDbType.Bigint, rows.Select(r => r.Status.QueueDepth).ToArray());
        Add(command, NpgsqlDbType.Bigint, rows.Select(r => r.Status.QueueEvicted).ToArray());
        Add(command, NpgsqlDbType.TimestampTz, rows.Select(r => Utc(r.Status.LastResultAt)).ToArray());
        Add(command, NpgsqlDbType.Text, rows.Select(r => Clean(r.Status.LastError)).ToArray());
        Add(command, NpgsqlDbType.Bigint, rows.Select(r => r.Status.ConfigVersion).ToArray());
        Add(command, NpgsqlDbType.Text, rows.Select(r => Clean(r.Status.ConfigError)).ToArray());
        Add(command, NpgsqlDbType.Text, rows.Select(r => r.Status.Upgrade is { } u ? UpgradeStateKinds.Name(u.State) : null).ToArray());
        Add(command, NpgsqlDbType.Text, rows.Select(r => Clean(r.Status.Upgrade?.From)).ToArray());
        Add(command, NpgsqlDbType.Text, rows.Select(r => Clean(r.Status.Upgrade?.To)).ToArray());
        Add(command, NpgsqlDbType.TimestampTz, rows.Select(r => Utc(r.Status.Upgrade?.At)).ToArray());
        Add(command, NpgsqlDbType.Text, rows.Select(r => Clean(r.Status.Upgrade?.Detail)).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static bool IsVersion(string? text) => ReleaseVersion.TryParse(text, allowBuildMetadata: true, out _);

    private static (StatusMessage?, Refusal?) Refused(string detail) => (null, new Refusal(RefusalKind.InvalidStatus, detail));

    private static void Add<T>(NpgsqlCommand command, NpgsqlDbType type, T[] values) =>
        command.Parameters.Add(new NpgsqlParameter { Value = values, NpgsqlDbType = NpgsqlDbType.Array | type });

    private static DateTime? Utc(DateTimeOffset? time) => time?.UtcDateTime;

    private static string? Clean(string? value) => Registry.PostgresText.Storable(value);
}
