using System.Security.Cryptography;
using HaTangSo.Telemetry.Server.Ingestion;
using Npgsql;
using NpgsqlTypes;

namespace HaTangSo.Telemetry.Server.Quarantine;

/// <summary>A refused message, kept whole with the reason it was refused.</summary>
/// <param name="ReceivedAt">When the server received it (the first, for a summary).</param>
/// <param name="Topic">Its MQTT topic.</param>
/// <param name="ProbeId">The probe of its topic, when the topic names one.</param>
/// <param name="ResultId">Its result id, when it was read.</param>
/// <param name="Refusal">Why it was refused.</param>
/// <param name="Payload">Its bytes (for a summary: the first message's, as a sample).</param>
internal sealed record QuarantineEntry(
    DateTimeOffset ReceivedAt,
    string Topic,
    string? ProbeId,
    string? ResultId,
    Refusal Refusal,
    ReadOnlyMemory<byte> Payload)
{
    /// <summary>How many messages this entry stands for (more than one for a summary of counted messages).</summary>
    public long Occurrences { get; init; } = 1;

    /// <summary>When the last of them was received.</summary>
    public DateTimeOffset LastReceivedAt { get; init; } = ReceivedAt;

    /// <summary>
    /// What identifies the row together with the probe and the reason kind: the payload's SHA-256 unless set (a summary
    /// of counted messages sets the window it counts).
    /// </summary>
    public byte[]? DedupeKey { get; init; }
}

/// <summary>A stored quarantine row, as the API lists it.</summary>
/// <param name="Id">Row id.</param>
/// <param name="ReceivedAt">When it was first received.</param>
/// <param name="LastReceivedAt">When it was last received.</param>
/// <param name="Occurrences">How many times (identical payloads, or the messages a summary counts).</param>
/// <param name="Topic">The MQTT topic.</param>
/// <param name="ProbeId">The topic's probe.</param>
/// <param name="ResultId">The result id, when it could be read.</param>
/// <param name="ReasonKind">The refusal's kind (<c>rate_limit</c>, <c>unknown_link</c>, ...).</param>
/// <param name="Reason">The refusal in words.</param>
/// <param name="Payload">The raw payload (base64 in JSON).</param>
public sealed record QuarantineRecord(
    long Id,
    DateTimeOffset ReceivedAt,
    DateTimeOffset LastReceivedAt,
    long Occurrences,
    string Topic,
    string? ProbeId,
    string? ResultId,
    string ReasonKind,
    string Reason,
    byte[] Payload);

/// <summary>
/// The quarantine table in PostgreSQL. One row per (probe, reason kind, payload): a message refused again (a
/// redelivery, a replay, a flood of one payload) adds to the row's counter and last time instead of a row. A batch
/// is written in one statement.
/// </summary>
internal sealed class QuarantineStore(NpgsqlDataSource dataSource)
{
    private const string InsertSql = """
        INSERT INTO quarantine AS q (received_at, last_received_at, occurrences, topic, probe_id, result_id, reason_kind, reason, payload, payload_sha256, dedupe_key)
        SELECT * FROM unnest($1::timestamptz[], $2::timestamptz[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[], $10::bytea[], $11::bytea[])
        ON CONFLICT (probe_id, reason_kind, dedupe_key) DO UPDATE
        SET occurrences = q.occurrences + excluded.occurrences, last_received_at = GREATEST(q.last_received_at, excluded.last_received_at)
        """;

    public async Task AddAsync(IReadOnlyList<QuarantineEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }

        // One row per key in the statement: ON CONFLICT DO UPDATE may not touch a row twice (SQLSTATE 21000).
        var rows = new Dictionary<(string? Probe, RefusalKind Kind, string Key), Row>();
        foreach (var entry in entries)
        {
            var sha = SHA256.HashData(entry.Payload.Span);
            var key = entry.DedupeKey ?? sha;
            var id = (entry.ProbeId, entry.Refusal.Kind, Convert.ToHexString(key));
            if (rows.TryGetValue(id, out var row))
            {
                row.Occurrences += entry.Occurrences;
                row.Last = entry.LastReceivedAt > row.Last ? entry.LastReceivedAt : row.Last;
            }
            else
            {
                rows[id] = new Row(entry, sha, key);
            }
        }

        var list = rows.Values.ToArray();
        await using var command = dataSource.CreateCommand(InsertSql);
        Add(command, NpgsqlDbType.TimestampTz, list.Select(r => r.Entry.ReceivedAt.ToUniversalTime()).ToArray());
        Add(command, NpgsqlDbType.TimestampTz, list.Select(r => r.Last.ToUniversalTime()).ToArray());
        Add(command, NpgsqlDbType.Bigint, list.Select(r => r.Occurrences).ToArray());
        Add(command, NpgsqlDbType.Text, list.Select(r => Text(r.Entry.Topic)).ToArray());
        Add(command, NpgsqlDbType.Text, list.Select(r => Text(r.Entry.ProbeId)).ToArray());
        Add(command, NpgsqlDbType.Text, list.Select(r => Text(r.Entry.ResultId)).ToArray());
        Add(command, NpgsqlDbType.Text, list.Select(r => r.Entry.Refusal.Kind.Label()).ToArray());
        Add(command, NpgsqlDbType.Text, list.Select(r => Text(r.Entry.Refusal.Detail)).ToArray());
        Add(command, NpgsqlDbType.Bytea, list.Select(r => r.Entry.Payload.ToArray()).ToArray());
        Add(command, NpgsqlDbType.Bytea, list.Select(r => r.Sha).ToArray());
        Add(command, NpgsqlDbType.Bytea, list.Select(r => r.Key).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<QuarantineRecord>> ListAsync(string? probeId, RefusalKind? kind, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, received_at, last_received_at, occurrences, topic, probe_id, result_id, reason_kind, reason, payload FROM quarantine " +
            "WHERE ($1::text IS NULL OR probe_id = $1) AND ($2::text IS NULL OR reason_kind = $2) ORDER BY last_received_at DESC, id DESC LIMIT $3");
        command.Parameters.Add(new() { Value = (object?)probeId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)kind?.Label() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = limit });
        var records = new List<QuarantineRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new QuarantineRecord(
                reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetInt64(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetFieldValue<byte[]>(9)));
        }

        return records;
    }

    /// <summary>
    /// Deletes rows not seen since <paramref name="olderThan"/>, then the least recently seen beyond
    /// <paramref name="maxRows"/>, a chunk at a time (short transactions); returns how many went.
    /// </summary>
    public async Task<long> PruneAsync(DateTimeOffset olderThan, long maxRows, CancellationToken cancellationToken)
    {
        const int Chunk = 20_000;
        long deleted = 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        while (true)
        {
            await using var old = new NpgsqlCommand(
                "DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine WHERE last_received_at < $1 LIMIT $2)", connection);
            old.Parameters.Add(new() { Value = olderThan.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            old.Parameters.Add(new() { Value = Chunk });
            var count = await old.ExecuteNonQueryAsync(cancellationToken);
            deleted += count;
            if (count < Chunk)
            {
                break;
            }
        }

        while (true)
        {
            await using var excess = new NpgsqlCommand(
                """
                DELETE FROM quarantine WHERE id IN (
                    SELECT id FROM quarantine ORDER BY last_received_at, id
                    LIMIT LEAST($2, GREATEST((SELECT count(*) FROM quarantine) - $1, 0)))
                """,
                connection);
            excess.Parameters.Add(new() { Value = maxRows });
            excess.Parameters.Add(new() { Value = (long)Chunk });
            var count = await excess.ExecuteNonQueryAsync(cancellationToken);
            deleted += count;
            if (count < Chunk)
            {
                return deleted;
            }
        }
    }

    private static void Add<T>(NpgsqlCommand command, NpgsqlDbType type, T[] values) =>
        command.Parameters.Add(new NpgsqlParameter { Value = values, NpgsqlDbType = NpgsqlDbType.Array | type });

    // PostgreSQL text cannot hold U+0000; the raw bytes are kept in the payload column anyway.
    private static string? Text(string? value) => Registry.PostgresText.Storable(value);

    private sealed class Row(QuarantineEntry entry, byte[] sha, byte[] key)
    {
        public QuarantineEntry Entry { get; } = entry;

        public byte[] Sha { get; } = sha;

        public byte[] Key { get; } = key;

        public long Occurrences { get; set; } = entry.Occurrences;

        public DateTimeOffset Last { get; set; } = entry.LastReceivedAt;
    }
}
