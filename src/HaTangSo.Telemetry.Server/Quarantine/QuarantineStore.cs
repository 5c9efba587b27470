using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace HaTangSo.Telemetry.Server.Quarantine;

/// <summary>A refused message, kept whole with the reason it was refused.</summary>
internal sealed record QuarantineEntry(
    DateTimeOffset ReceivedAt,
    string Topic,
    string? ProbeId,
    string? ResultId,
    string Reason,
    ReadOnlyMemory<byte> Payload);

/// <summary>A stored quarantine row, as the API lists it.</summary>
public sealed record QuarantineRecord(
    long Id,
    DateTimeOffset ReceivedAt,
    DateTimeOffset LastReceivedAt,
    int Occurrences,
    string Topic,
    string? ProbeId,
    string? ResultId,
    string Reason,
    byte[] Payload);

/// <summary>The quarantine table in PostgreSQL.</summary>
internal sealed class QuarantineStore(NpgsqlDataSource dataSource)
{
    private const string InsertSql = """
        INSERT INTO quarantine (received_at, last_received_at, topic, probe_id, result_id, reason, payload, payload_sha256)
        VALUES ($1, $1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (topic, payload_sha256) DO UPDATE
        SET occurrences = quarantine.occurrences + 1, last_received_at = excluded.received_at
        """;

    public async Task AddAsync(IReadOnlyList<QuarantineEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var entry in entries)
        {
            var command = new NpgsqlBatchCommand(InsertSql);
            command.Parameters.Add(new() { Value = entry.ReceivedAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new() { Value = Text(entry.Topic) });
            command.Parameters.Add(new() { Value = (object?)Text(entry.ProbeId) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = (object?)Text(entry.ResultId) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = Text(entry.Reason) });
            command.Parameters.Add(new() { Value = entry.Payload.ToArray(), NpgsqlDbType = NpgsqlDbType.Bytea });
            command.Parameters.Add(new() { Value = SHA256.HashData(entry.Payload.Span), NpgsqlDbType = NpgsqlDbType.Bytea });
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<QuarantineRecord>> ListAsync(string? probeId, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, received_at, last_received_at, occurrences, topic, probe_id, result_id, reason, payload FROM quarantine " +
            "WHERE ($1::text IS NULL OR probe_id = $1) ORDER BY id DESC LIMIT $2");
        command.Parameters.Add(new() { Value = (object?)probeId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = limit });
        var records = new List<QuarantineRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new QuarantineRecord(
                reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetInt32(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetString(7), reader.GetFieldValue<byte[]>(8)));
        }

        return records;
    }

    // PostgreSQL text cannot hold U+0000; the raw bytes are kept in the payload column anyway.
    private static string? Text(string? value) => value?.Replace('\0', '\uFFFD');
}
