using Npgsql;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>Targets in PostgreSQL: list, create, update, retire, and the seed from the provincial plans.</summary>
internal sealed class TargetStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "id, province_code, district_code, access, technology, metric, statistic, share_value, threshold, valid_from, valid_to, source, retired_at, area_kind, area_code, operator, weighting";

    private const string UpdateSql = """
        UPDATE targets SET province_code = $2, district_code = $3, access = $4, technology = $5, metric = $6, statistic = $7,
            share_value = $8, threshold = $9, valid_from = $10, valid_to = $11, source = $12, area_kind = $13, area_code = $14,
            operator = $15, weighting = $16, catalogue_version = (SELECT version FROM catalogue_versions WHERE is_current), updated_at = now()
        WHERE id = $1
        """;

    /// <summary>
    /// The targets written in the plans (../shared/BRIEF.md). Hà Tĩnh's figures are "download speed per i-Speed",
    /// and i-Speed publishes a mean per province and access type, so the statistic is the mean; Phú Thọ's say
    /// "average". Hà Tĩnh 2030 "> 1 Gb/s for 100% of users" is every sample at or above 1,000 Mb/s. Lai Châu's
    /// plan names no speed: it gets no target, and compliance says "no_target" rather than inventing one. Each plan was
    /// written for its province before 1 July 2025, so its scope is that territory (<c>former-province</c>): the
    /// communes of today's Phú Thọ that came from Vĩnh Phúc and Hòa Bình get no target from 3927/KH-UBND.
    /// </summary>
    public static IReadOnlyList<Target> PlanTargets { get; } =
    [
        Plan("42", "mobile", "mean", null, 71, new(2025, 1, 1), new(2030, 1, 1), "568/KH-UBND Hà Tĩnh, 13/12/2023: 71 Mb/s mobile by 2025 (i-Speed)"),
        Plan("42", "fixed", "mean", null, 150, new(2025, 1, 1), new(2030, 1, 1), "568/KH-UBND Hà Tĩnh, 13/12/2023: 150 Mb/s fixed by 2025 (i-Speed)"),
        Plan("42", "fixed", "share_at_least", 1000, 100, new(2030, 1, 1), null, "568/KH-UBND Hà Tĩnh: > 1 Gb/s fixed for 100% of users by 2030"),
        Plan("25", "mobile", "mean", null, 100, new(2025, 1, 1), null, "3927/KH-UBND Phú Thọ, 10/2022: 100 Mb/s average mobile by 2025"),
        Plan("25", "fixed", "mean", null, 200, new(2025, 1, 1), null, "3927/KH-UBND Phú Thọ, 10/2022: 200 Mb/s average fixed by 2025"),
    ];

    private static Target Plan(string province, string access, string statistic, double? share, double threshold, DateOnly from, DateOnly? to, string source) =>
        new(0, province, null, access, null, "download", statistic, share, threshold, from, to, source, null, "former-province", province);

    /// <summary>Seeds <see cref="PlanTargets"/> when the table is empty (never over an operator's edits).</summary>
    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("LOCK TABLE targets IN EXCLUSIVE MODE", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var count = new NpgsqlCommand("SELECT count(*) FROM targets", connection, transaction))
        {
            if ((long)(await count.ExecuteScalarAsync(cancellationToken))! > 0)
            {
                return;
            }
        }

        foreach (var target in PlanTargets)
        {
            await InsertAsync(connection, transaction, target, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Loads targets (from a file or the API): a target with the same scope, metric, statistic and start as an
    /// active one updates it, any other is added. Returns how many were added and updated.
    /// </summary>
    public async Task<(int Added, int Updated)> ImportAsync(IReadOnlyList<Target> imported, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("LOCK TABLE targets IN EXCLUSIVE MODE", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        var existing = new List<Target>();
        await using (var select = new NpgsqlCommand($"SELECT {Columns} FROM targets WHERE retired_at IS NULL", connection, transaction))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                existing.Add(Read(reader));
            }
        }

        var (added, updated) = (0, 0);
        foreach (var target in imported)
        {
            var match = existing.FirstOrDefault(t => t.ProvinceCode == target.ProvinceCode && t.Scope == target.Scope && t.Access == target.Access
                && t.Technology == target.Technology && t.Operator == target.Operator && t.Metric == target.Metric && t.Statistic == target.Statistic && t.ValidFrom == target.ValidFrom);
            if (match is null)
            {
                await InsertAsync(connection, transaction, target, cancellationToken);
                added++;
                continue;
            }

            await using var update = new NpgsqlCommand(UpdateSql, connection, transaction);
            update.Parameters.Add(new NpgsqlParameter { Value = match.Id });
            AddFields(update, target);
            await update.ExecuteNonQueryAsync(cancellationToken);
            updated++;
        }

        await transaction.CommitAsync(cancellationToken);
        return (added, updated);
    }

    /// <summary>Every target (retired ones too when <paramref name="includeRetired"/>).</summary>
    public async Task<List<Target>> ListAsync(string? provinceCode, bool includeRetired, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM targets WHERE ($1::text IS NULL OR province_code = $1) AND ($2 OR retired_at IS NULL) ORDER BY province_code, valid_from, id");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)provinceCode ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = includeRetired });
        var targets = new List<Target>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            targets.Add(Read(reader));
        }

        return targets;
    }

    /// <summary>Stores a new target; returns it with its id.</summary>
    public async Task<Target> CreateAsync(Target target, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return target with { Id = await InsertAsync(connection, null, target, cancellationToken) };
    }

    /// <summary>Replaces a target's fields; false when there is no such target.</summary>
    public async Task<bool> UpdateAsync(Target target, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(UpdateSql);
        command.Parameters.Add(new NpgsqlParameter { Value = target.Id });
        AddFields(command, target);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Retires a target (it stays for history); false when there is no such target.</summary>
    public async Task<bool> RetireAsync(int id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE targets SET retired_at = $2, updated_at = now() WHERE id = $1 AND retired_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = at });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task<int> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Target target, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO targets (province_code, district_code, access, technology, metric, statistic, share_value, threshold, valid_from, valid_to, source,
                area_kind, area_code, operator, weighting, catalogue_version)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, (SELECT version FROM catalogue_versions WHERE is_current)) RETURNING id
            """, connection, transaction);
        AddFields(command, target);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static void AddFields(NpgsqlCommand command, Target target)
    {
        static NpgsqlParameter Nullable(object? value, NpgsqlTypes.NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
        command.Parameters.Add(new NpgsqlParameter { Value = target.ProvinceCode });
        command.Parameters.Add(Nullable(target.DistrictCode, NpgsqlTypes.NpgsqlDbType.Text));
        command.Parameters.Add(new NpgsqlParameter { Value = target.Access });
        command.Parameters.Add(Nullable(target.Technology, NpgsqlTypes.NpgsqlDbType.Text));
        command.Parameters.Add(new NpgsqlParameter { Value = target.Metric });
        command.Parameters.Add(new NpgsqlParameter { Value = target.Statistic });
        command.Parameters.Add(Nullable(target.ShareValue, NpgsqlTypes.NpgsqlDbType.Double));
        command.Parameters.Add(new NpgsqlParameter { Value = target.Threshold });
        command.Parameters.Add(new NpgsqlParameter { Value = target.ValidFrom });
        command.Parameters.Add(Nullable(target.ValidTo, NpgsqlTypes.NpgsqlDbType.Date));
        command.Parameters.Add(new NpgsqlParameter { Value = target.Source });
        command.Parameters.Add(new NpgsqlParameter { Value = target.Scope.Kind });
        command.Parameters.Add(new NpgsqlParameter { Value = target.Scope.Code });
        command.Parameters.Add(Nullable(target.Operator, NpgsqlTypes.NpgsqlDbType.Text));
        command.Parameters.Add(new NpgsqlParameter { Value = target.Weighting });
    }

    private static Target Read(NpgsqlDataReader reader) => new(
        reader.GetInt32(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetDouble(7), reader.GetDouble(8), reader.GetFieldValue<DateOnly>(9),
        reader.IsDBNull(10) ? null : reader.GetFieldValue<DateOnly>(10), reader.GetString(11),
        reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12), reader.GetString(13), reader.GetString(14),
        reader.IsDBNull(15) ? null : reader.GetString(15), reader.GetString(16));
}
