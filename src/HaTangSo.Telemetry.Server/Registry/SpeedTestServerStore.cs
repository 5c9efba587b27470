using Npgsql;
using NpgsqlTypes;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>The <c>speedtest_servers</c> registry table (migration 0004).</summary>
internal sealed class SpeedTestServerStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, name, base_url, capacity_mbps, enabled, created_at, updated_at, role";

    /// <summary>Every registered server, by id.</summary>
    public async Task<IReadOnlyList<SpeedTestServer>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM speedtest_servers ORDER BY id");
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>One server, or null.</summary>
    public async Task<SpeedTestServer?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM speedtest_servers WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        return (await ReadAsync(command, cancellationToken)) is [var server] ? server : null;
    }

    /// <summary>The ids of the enabled servers whose results confirm verdicts and are never counted in them.</summary>
    public async Task<IReadOnlyList<string>> ConfirmationIdsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM speedtest_servers WHERE role = 'confirmation' ORDER BY id");
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>Registers a server or replaces its name, URL, capacity, state and role; true when it was new.</summary>
    public async Task<bool> UpsertAsync(
        string id, string name, Uri baseUrl, double capacityMbps, bool enabled, CancellationToken cancellationToken, ServerRole role = ServerRole.Primary)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO speedtest_servers (id, name, base_url, capacity_mbps, enabled, role) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, base_url = excluded.base_url,
                capacity_mbps = excluded.capacity_mbps, enabled = excluded.enabled, role = excluded.role, updated_at = now()
            RETURNING xmax = 0
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = baseUrl.AbsoluteUri });
        command.Parameters.Add(new() { Value = capacityMbps, NpgsqlDbType = NpgsqlDbType.Double });
        command.Parameters.Add(new() { Value = enabled });
        command.Parameters.Add(new() { Value = role.ToName() });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Registers a server unless one with that id exists (the start-up seed; an operator's edits stay).</summary>
    public async Task<bool> AddIfMissingAsync(string id, string name, Uri baseUrl, double capacityMbps, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO speedtest_servers (id, name, base_url, capacity_mbps) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = baseUrl.AbsoluteUri });
        command.Parameters.Add(new() { Value = capacityMbps, NpgsqlDbType = NpgsqlDbType.Double });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task<IReadOnlyList<SpeedTestServer>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var servers = new List<SpeedTestServer>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            servers.Add(new SpeedTestServer(
                reader.GetString(0), reader.GetString(1), new Uri(reader.GetString(2), UriKind.Absolute), reader.GetDouble(3),
                reader.GetBoolean(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6),
                ServerRoles.Parse(reader.GetString(7))));
        }

        return servers;
    }
}
