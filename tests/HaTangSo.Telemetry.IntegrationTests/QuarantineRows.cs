using System.Security.Cryptography;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests;

/// <summary>A quarantine row as the tests read it straight from PostgreSQL.</summary>
internal sealed record QuarantineRow(string? ProbeId, string Kind, string Reason, string? ResultId, long Occurrences, string PayloadSha256);

/// <summary>Reads the quarantine table, and waits for it.</summary>
internal static class QuarantineRows
{
    public static string Sha256(byte[] payload) => Convert.ToHexString(SHA256.HashData(payload));

    public static async Task<List<QuarantineRow>> ReadAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT probe_id, reason_kind, reason, result_id, occurrences, payload_sha256 FROM quarantine ORDER BY id", connection);
        var rows = new List<QuarantineRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new QuarantineRow(
                reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4), Convert.ToHexString(reader.GetFieldValue<byte[]>(5))));
        }

        return rows;
    }

    /// <summary>Waits (bounded, generous: the machine may be busy) until <paramref name="done"/> holds for the rows.</summary>
    public static async Task<List<QuarantineRow>> WaitAsync(
        string connectionString, Func<List<QuarantineRow>, bool> done, TimeSpan timeout, Func<string> diagnostics, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var rows = await ReadAsync(connectionString, ct);
            if (done(rows))
            {
                return rows;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The quarantine did not reach the expected state in {timeout} ({rows.Count} rows, {rows.Sum(r => r.Occurrences)} messages).\n{diagnostics()}");
            }

            await Task.Delay(200, ct);
        }
    }
}
