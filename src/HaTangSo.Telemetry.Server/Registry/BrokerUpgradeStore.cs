using Npgsql;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>A one-time broker upgrade that was done for every probe.</summary>
/// <param name="Name">The upgrade.</param>
/// <param name="DoneAt">When the pass that covered every probe ended.</param>
/// <param name="Probes">How many enabled probes that pass covered.</param>
internal sealed record BrokerUpgradeRecord(string Name, DateTimeOffset DoneAt, int Probes);

/// <summary>The table <c>broker_upgrades</c> (migration 0020): the one-time broker upgrades already done.</summary>
internal sealed class BrokerUpgradeStore(NpgsqlDataSource dataSource)
{
    /// <summary>The record of <paramref name="name"/>, or null while it has not been done.</summary>
    public async Task<BrokerUpgradeRecord?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT done_at, probes FROM broker_upgrades WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new BrokerUpgradeRecord(name, reader.GetFieldValue<DateTimeOffset>(0), reader.GetInt32(1))
            : null;
    }

    /// <summary>
    /// Records <paramref name="name"/> as done. A record already there (another instance started at the same time and
    /// finished first) is kept.
    /// </summary>
    public async Task RecordAsync(string name, DateTimeOffset doneAt, int probes, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO broker_upgrades (name, done_at, probes) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = doneAt });
        command.Parameters.Add(new NpgsqlParameter { Value = probes });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
