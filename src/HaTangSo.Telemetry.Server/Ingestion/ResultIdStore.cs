using Npgsql;
using NpgsqlTypes;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>A result about to be written: its id and a fingerprint of its payload.</summary>
internal readonly record struct ResultKey(Guid ResultId, long Fingerprint);

/// <summary>
/// Every stored result id with a fingerprint of its payload (table <c>result_ids</c>, migration 0004), so that no
/// result id is ever stored twice with different values — by any probe, on any server instance. A batch of new ids is
/// one binary <c>COPY</c> (PostgreSQL's cheapest way in: 2.6–4.9 µs of its CPU a result against 6.4–10.5 for the
/// statement below, <c>resultids</c> benchmark, 2026-12-02). When an id is already stored the COPY fails whole and
/// stores nothing, and one statement (<c>unnest</c> + <c>ON CONFLICT DO NOTHING</c>) records the rest; only then does a
/// second one read the fingerprints of those already there. A redelivery has the same fingerprint and passes (the point overwrites itself); a replay
/// with other values does not. Ids are pruned after <see cref="IngestionOptions.MaxResultAge"/> (a replay of an older
/// result is refused by its age).
/// </summary>
internal sealed class ResultIdStore(NpgsqlDataSource dataSource)
{
    private const string InsertSql = """
        INSERT INTO result_ids (result_id, fingerprint) SELECT * FROM unnest($1::uuid[], $2::bigint[])
        ON CONFLICT (result_id) DO NOTHING RETURNING result_id
        """;

    /// <summary>
    /// Records the keys; returns those whose id was already stored with another fingerprint. Keys must have distinct ids.
    /// </summary>
    public async Task<IReadOnlySet<Guid>> RecordAsync(IReadOnlyList<ResultKey> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return new HashSet<Guid>();
        }

        var ids = new Guid[keys.Count];
        var fingerprints = new long[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            (ids[i], fingerprints[i]) = (keys[i].ResultId, keys[i].Fingerprint);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (await TryCopyAsync(connection, ids, fingerprints, cancellationToken))
        {
            return new HashSet<Guid>();
        }

        var inserted = new HashSet<Guid>(keys.Count);
        await using (var insert = new NpgsqlCommand(InsertSql, connection))
        {
            insert.Parameters.Add(new() { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            insert.Parameters.Add(new() { Value = fingerprints, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                inserted.Add(reader.GetGuid(0));
            }
        }

        var duplicates = new HashSet<Guid>();
        if (inserted.Count == keys.Count)
        {
            return duplicates;
        }

        // Already there: a redelivery (same fingerprint) or a replay. A new statement sees rows that a concurrent
        // instance committed while ours waited on them.
        var existing = keys.Where(k => !inserted.Contains(k.ResultId)).ToDictionary(k => k.ResultId, k => k.Fingerprint);
        await using var select = new NpgsqlCommand("SELECT result_id, fingerprint FROM result_ids WHERE result_id = ANY($1)", connection);
        select.Parameters.Add(new() { Value = existing.Keys.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetInt64(1) != existing[reader.GetGuid(0)])
                {
                    duplicates.Add(reader.GetGuid(0));
                }
            }
        }

        return duplicates;
    }

    // All new (the usual case): one binary COPY, cheaper for PostgreSQL than the INSERT below. An id already stored makes the
    // whole COPY fail with a unique violation and store nothing; the INSERT then sorts the batch out.
    private static async Task<bool> TryCopyAsync(NpgsqlConnection connection, Guid[] ids, long[] fingerprints, CancellationToken cancellationToken)
    {
        try
        {
            await using var copy = await connection.BeginBinaryImportAsync("COPY result_ids (result_id, fingerprint) FROM STDIN (FORMAT BINARY)", cancellationToken);
            for (var i = 0; i < ids.Length; i++)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(ids[i], NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync(fingerprints[i], NpgsqlDbType.Bigint, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return false;
        }
    }

    /// <summary>Deletes ids stored before <paramref name="before"/>, a chunk at a time; returns how many went.</summary>
    public async Task<long> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        const int Chunk = 50_000;
        long deleted = 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        while (true)
        {
            await using var command = new NpgsqlCommand(
                "DELETE FROM result_ids WHERE ctid = ANY (ARRAY(SELECT ctid FROM result_ids WHERE stored_at < $1 LIMIT $2))", connection);
            command.Parameters.Add(new() { Value = before.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new() { Value = Chunk });
            var count = await command.ExecuteNonQueryAsync(cancellationToken);
            deleted += count;
            if (count < Chunk)
            {
                return deleted;
            }
        }
    }
}
