using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace HaTangSo.Telemetry.Server.Fleet;

/// <summary>The province default and its version.</summary>
/// <param name="Version">Increases with every change.</param>
/// <param name="Settings">Every field set.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record DefaultConfigRecord(long Version, ConfigSettings Settings, DateTimeOffset UpdatedAt);

/// <summary>A probe's configuration row: its overrides, its effective version, and what was published and applied.</summary>
/// <param name="ProbeId">The probe.</param>
/// <param name="Enabled">False once revoked: nothing is published for it.</param>
/// <param name="Version">Version of its effective configuration.</param>
/// <param name="Overrides">Its own settings over the default.</param>
/// <param name="PublishedVersion">The version last put on the broker (0: never).</param>
/// <param name="AppliedVersion">The version the probe last reported in its status (0: its local file; null: never said).</param>
/// <param name="ConfigError">Why the probe refused the last configuration it received, as it said.</param>
public sealed record ProbeConfigRecord(
    string ProbeId, bool Enabled, long Version, ConfigSettings Overrides, long PublishedVersion, long? AppliedVersion, string? ConfigError);

/// <summary>The outcome of a conditional update.</summary>
public enum ConfigUpdate
{
    /// <summary>Stored with a new version.</summary>
    Updated,

    /// <summary>The version given is not the current one: someone changed it meanwhile.</summary>
    VersionMismatch,

    /// <summary>No such probe.</summary>
    NotFound,
}

/// <summary>The measurement configuration tables (migration 0012).</summary>
internal sealed class FleetConfigStore(NpgsqlDataSource dataSource)
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private const string ProbeColumns = """
        p.id, p.enabled, pc.version, pc.overrides::text, pc.published_version, s.config_version, s.config_error
        FROM probes p JOIN probe_config pc ON pc.probe_id = p.id LEFT JOIN probe_status s ON s.probe_id = p.id
        """;

    /// <summary>The province default.</summary>
    public async Task<DefaultConfigRecord> GetDefaultAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT version, document::text, updated_at FROM probe_config_default");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new DefaultConfigRecord(reader.GetInt64(0), Parse(reader.GetString(1)), reader.GetFieldValue<DateTimeOffset>(2));
    }

    /// <summary>
    /// Replaces the default when its version is still <paramref name="expectedVersion"/>; every probe's version goes up with
    /// it (their effective configuration may have changed), in one transaction. Returns the new default version.
    /// </summary>
    public async Task<(ConfigUpdate Outcome, long Version)> PutDefaultAsync(ConfigSettings settings, long expectedVersion, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand(
            "UPDATE probe_config_default SET document = $1, version = version + 1, updated_at = now() WHERE version = $2 RETURNING version", connection, transaction);
        update.Parameters.Add(new() { Value = Serialize(settings), NpgsqlDbType = NpgsqlDbType.Jsonb });
        update.Parameters.Add(new() { Value = expectedVersion });
        if (await update.ExecuteScalarAsync(cancellationToken) is not long version)
        {
            return (ConfigUpdate.VersionMismatch, 0);
        }

        await using var probes = new NpgsqlCommand("UPDATE probe_config SET version = version + 1, updated_at = now()", connection, transaction);
        await probes.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (ConfigUpdate.Updated, version);
    }

    /// <summary>One probe's row, or null.</summary>
    public async Task<ProbeConfigRecord?> GetAsync(string probeId, CancellationToken cancellationToken) =>
        (await ListAsync(probeId, dueOnly: false, cancellationToken)) is [var record] ? record : null;

    /// <summary>Every probe's row (<paramref name="dueOnly"/>: only those whose current version is not on the broker yet).</summary>
    public async Task<List<ProbeConfigRecord>> ListAsync(string? probeId, bool dueOnly, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {ProbeColumns} WHERE ($1::text IS NULL OR p.id = $1) AND (NOT $2 OR pc.published_version <> pc.version) ORDER BY p.id");
        command.Parameters.Add(new() { Value = (object?)probeId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = dueOnly });
        var records = new List<ProbeConfigRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new ProbeConfigRecord(
                reader.GetString(0), reader.GetBoolean(1), reader.GetInt64(2), Parse(reader.GetString(3)), reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return records;
    }

    /// <summary>Replaces a probe's overrides when its version is still <paramref name="expectedVersion"/>; the new version.</summary>
    public async Task<(ConfigUpdate Outcome, long Version)> PutAsync(string probeId, ConfigSettings overrides, long expectedVersion, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH updated AS (
                UPDATE probe_config SET overrides = $2, version = version + 1, updated_at = now()
                WHERE probe_id = $1 AND version = $3 RETURNING version)
            SELECT (SELECT version FROM updated), EXISTS (SELECT 1 FROM probe_config WHERE probe_id = $1)
            """);
        command.Parameters.Add(new() { Value = probeId });
        command.Parameters.Add(new() { Value = Serialize(overrides), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = expectedVersion });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return !reader.IsDBNull(0) ? (ConfigUpdate.Updated, reader.GetInt64(0))
            : reader.GetBoolean(1) ? (ConfigUpdate.VersionMismatch, 0) : (ConfigUpdate.NotFound, 0);
    }

    /// <summary>Records that <paramref name="version"/> of the probe's configuration is on the broker (never going backwards).</summary>
    public async Task MarkPublishedAsync(string probeId, long version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE probe_config SET published_version = $2, published_at = now() WHERE probe_id = $1 AND published_version < $2");
        command.Parameters.Add(new() { Value = probeId });
        command.Parameters.Add(new() { Value = version });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The registered, enabled speed-test servers by id (the allow-list of <see cref="ConfigSettings.Servers"/>).</summary>
    public async Task<Dictionary<string, Uri>> EnabledServersAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id, base_url FROM speedtest_servers WHERE enabled");
        var servers = new Dictionary<string, Uri>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (Uri.TryCreate(reader.GetString(1), UriKind.Absolute, out var url))
            {
                servers[reader.GetString(0)] = url;
            }
        }

        return servers;
    }

    internal static string Serialize(ConfigSettings settings) => JsonSerializer.Serialize(settings, s_json);

    private static ConfigSettings Parse(string json) => JsonSerializer.Deserialize<ConfigSettings>(json, s_json) ?? new ConfigSettings();
}
