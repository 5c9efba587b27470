using System.Text.Json;
using System.Text.Unicode;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Influx;
using HaTangSo.Telemetry.Server.Quarantine;
using HaTangSo.Telemetry.Server.Registry;
using Npgsql;
using NpgsqlTypes;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Probe status messages (retained; the last will says offline): the latest per probe goes to PostgreSQL
/// (the API's "last seen" and queue depth) and each one becomes a <c>probe_status</c> point for the fleet
/// dashboard. Every server instance receives them (not a shared subscription); the upsert is idempotent.
/// </summary>
internal sealed class ProbeStatusHandler(
    NpgsqlDataSource dataSource,
    ProbeDirectory directory,
    DurableRetry retry)
{
    private const string UpsertSql = """
        INSERT INTO probe_status (probe_id, state, reported_at, received_at, agent_version, queue_depth, queue_evicted, last_result_at, last_error)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (probe_id) DO UPDATE SET state = excluded.state, reported_at = excluded.reported_at,
            received_at = excluded.received_at, agent_version = COALESCE(excluded.agent_version, probe_status.agent_version),
            queue_depth = COALESCE(excluded.queue_depth, probe_status.queue_depth),
            queue_evicted = COALESCE(excluded.queue_evicted, probe_status.queue_evicted),
            last_result_at = COALESCE(excluded.last_result_at, probe_status.last_result_at),
            last_error = excluded.last_error
        WHERE probe_status.received_at <= excluded.received_at
        """;

    public async Task<IReadOnlyList<PendingLine>> HandleAsync(
        IReadOnlyList<(ReceivedMessage Message, string ProbeId)> batch,
        List<QuarantineEntry> refused,
        CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return [];
        }

        var accepted = new List<(ReceivedMessage Message, StatusMessage Status, ProbeLocation Location)>();
        foreach (var (message, probeId) in batch)
        {
            // An empty retained message clears the topic (MQTT 5, 3.3.1.3): nothing to record.
            if (message.Payload.IsEmpty)
            {
                continue;
            }

            var (status, reason) = Parse(message.Payload, probeId);
            if (status is null)
            {
                refused.Add(new(message.ReceivedAt, message.Topic, probeId, null, reason!, message.Payload));
            }
            else if (!directory.TryGet(probeId, out var location))
            {
                refused.Add(new(message.ReceivedAt, message.Topic, probeId, null, $"status: probe '{probeId}' is not in the registry", message.Payload));
            }
            else
            {
                accepted.Add((message, status, location));
            }
        }

        await retry.RunAsync("PostgreSQL probe status", ct => UpsertAsync(accepted, ct), cancellationToken);
        return [.. accepted.Select(a => new PendingLine(a.Message, null, ResultPoints.FormatStatus(a.Status, a.Location, a.Message.ReceivedAt)))];
    }

    internal static (StatusMessage? Status, string? Reason) Parse(ReadOnlyMemory<byte> payload, string topicProbeId)
    {
        if (payload.Length > ResultLimits.MaxPayloadBytes || !Utf8.IsValid(payload.Span))
        {
            return (null, "status: payload too large or not UTF-8");
        }

        try
        {
            var status = JsonSerializer.Deserialize(payload.Span, ContractsJsonContext.Default.StatusMessage);
            return status switch
            {
                null => (null, "status: payload is JSON null"),
                { Schema: not StatusMessage.SchemaName } => (null, $"status: schema must be '{StatusMessage.SchemaName}'"),
                { State: not (ProbeState.Online or ProbeState.Offline) } => (null, "status: state must be 'online' or 'offline'"),
                _ when status.ProbeId != topicProbeId => (null, "status: probeId differs from the topic"),
                { QueueDepth: < 0 } or { QueueEvicted: < 0 } => (null, "status: negative queue counter"),
                _ => (status, null),
            };
        }
        catch (JsonException ex)
        {
            return (null, "status: invalid JSON or wrong type: " + ex.Message);
        }
    }

    private async Task UpsertAsync(List<(ReceivedMessage Message, StatusMessage Status, ProbeLocation Location)> accepted, CancellationToken cancellationToken)
    {
        if (accepted.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var (message, status, _) in accepted)
        {
            var command = new NpgsqlBatchCommand(UpsertSql);
            command.Parameters.Add(new() { Value = status.ProbeId });
            command.Parameters.Add(new() { Value = status.State });
            command.Parameters.Add(new() { Value = (object?)status.At?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new() { Value = message.ReceivedAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new() { Value = (object?)Clean(status.AgentVersion) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = (object?)status.QueueDepth ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new() { Value = (object?)status.QueueEvicted ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new() { Value = (object?)status.LastResultAt?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new() { Value = (object?)Clean(status.LastError) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string? Clean(string? value) => value?.Replace('\0', '\uFFFD');
}
