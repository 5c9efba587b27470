using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Compliance.Estimation;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>
/// One fixed link judged by QCVN 34:2022/BTTTT, with what it delivered against what was bought: mean and median download
/// as a percentage of the advertised speed, and the "80/80" figure (FCC Measuring Broadband America's consistent speed:
/// the speed 80 % of the tests reach, i.e. the 20th percentile, as a percentage of the advertised speed). A link without
/// an advertised speed in the registry is reported as such (<c>no_advertised_speed</c>), never guessed.
/// </summary>
public sealed record Qcvn34Result(
    string ProbeId, string Link, string Operator, string CommuneCode, double? MeanDownloadMbps, double? MedianDownloadMbps, double? P20DownloadMbps,
    double? AdvertisedDownloadMbps, int Samples, string Status)
{
    /// <summary>Mean download as a share of the advertised speed.</summary>
    public double? Ratio => MeanDownloadMbps / AdvertisedDownloadMbps;

    /// <summary>Mean download, percent of advertised.</summary>
    public double? MeanPct => 100 * Ratio;

    /// <summary>Median download, percent of advertised.</summary>
    public double? MedianPct => 100 * MedianDownloadMbps / AdvertisedDownloadMbps;

    /// <summary>The speed 80 % of tests reach, percent of advertised ("80/80").</summary>
    public double? P80Of80Pct => 100 * P20DownloadMbps / AdvertisedDownloadMbps;
}

/// <summary>A stored QCVN 34 verdict.</summary>
public sealed record Qcvn34Record(
    string ProbeId, string Link, DateTimeOffset EvaluatedAt, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, double? MeanDownloadMbps,
    double? AdvertisedDownloadMbps, int Samples, string Status, double? MedianDownloadMbps = null, double? P20DownloadMbps = null,
    string? Operator = null, string? CommuneCode = null)
{
    /// <summary>Mean, median and 80/80 download as percent of advertised (null without an advertised speed).</summary>
    public double? MeanPct => 100 * MeanDownloadMbps / AdvertisedDownloadMbps;

/// <summary>Median download, percent of advertised.</summary>
    public double? MedianPct => 100 * MedianDownloadMbps / AdvertisedDownloadMbps;

    /// <summary>The speed 80 % of tests reach, percent of advertised ("80/80").</summary>
    public double? P80Of80Pct => 100 * P20DownloadMbps / AdvertisedDownloadMbps;
}

/// <summary>The share of an area's fixed links (of one operator, or all) meeting QCVN 34.</summary>
public sealed record Qcvn34AreaShare(
    string AreaKind, string AreaCode, string AreaName, string Operator, int LinksMet, int LinksBelow, int LinksInsufficient, int LinksNoAdvertised)
{
    /// <summary>Percent of the judged links (met or below) that meet the rule; null when none was judged.</summary>
    public double? SharePct => LinksMet + LinksBelow == 0 ? null : 100.0 * LinksMet / (LinksMet + LinksBelow);
}

/// <summary>
/// The national quality rule for fixed broadband (QCVN 34:2022/BTTTT) as the project reads it: over the period, a link's
/// mean download is at least <see cref="ComplianceOptions.Qcvn34Ratio"/> (0.8) × its advertised speed. Judged per
/// registered fixed probe link (links without an advertised speed are counted apart), and per area: the share of links
/// meeting it, per operator and for all.
/// </summary>
internal sealed class Qcvn34Evaluator(RegistryStore registry, NpgsqlDataSource dataSource, InfluxDbClient influx, IOptions<ComplianceOptions> options)
{
    public const string NoAdvertisedSpeed = "no_advertised_speed";

    /// <summary>Judges every registered fixed link of a province from its download over the window.</summary>
    public async Task<List<Qcvn34Result>> JudgeAsync(
        string provinceCode, IReadOnlyList<(LinkKey Key, ValueSummary Download)> measured, CancellationToken cancellationToken)
    {
        var byLink = new Dictionary<(string, string), ValueSummary>();
        foreach (var (key, download) in measured.Where(m => m.Key.Access == "fixed"))
        {
            if (!byLink.TryGetValue((key.Probe, key.Link), out var merged))
            {
                byLink[(key.Probe, key.Link)] = merged = new ValueSummary();
            }

            merged.Merge(download);
        }

        var results = new List<Qcvn34Result>();
        foreach (var probe in (await registry.LoadLocationsAsync(cancellationToken)).Where(p => p.ProvinceCode == provinceCode))
        {
            foreach (var link in probe.Links.Where(l => l.Access == "fixed"))
            {
                var values = byLink.GetValueOrDefault((probe.ProbeId, link.Name)) ?? new ValueSummary();
                double? Of(Func<ValueSummary, double> f) => values.Count == 0 ? null : f(values);
                var (mean, median, p20) = (Of(v => v.Mean), Of(v => v.Percentile(50)), Of(v => v.Percentile(20)));
                var advertised = link.AdvertisedDownloadMbps is > 0 ? link.AdvertisedDownloadMbps : null;
                var status = advertised is null ? NoAdvertisedSpeed
                    : values.Count < options.Value.Qcvn34MinSamples ? ComplianceStatus.InsufficientData
                    : mean >= options.Value.Qcvn34Ratio * advertised ? ComplianceStatus.Met : ComplianceStatus.Below;
                results.Add(new Qcvn34Result(probe.ProbeId, link.Name, link.Operator, probe.CommuneCode, mean, median, p20, advertised,
                    (int)values.Count, status));
            }
        }

        return results;
    }

    /// <summary>The share of links meeting QCVN 34 in each area, per operator and for all operators.</summary>
    public static List<Qcvn34AreaShare> Shares(IReadOnlyList<Qcvn34Result> results, IEnumerable<Area> areas)
    {
        var shares = new List<Qcvn34AreaShare>();
        foreach (var area in areas)
        {
            var members = area.Communes.ToHashSet(StringComparer.Ordinal);
            var inArea = results.Where(r => members.Contains(r.CommuneCode)).ToList();
            if (inArea.Count == 0)
            {
                continue;
            }

            foreach (var op in inArea.Select(r => r.Operator).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Prepend(ComplianceWindow.AllOperators))
            {
                var links = op == ComplianceWindow.AllOperators ? inArea : [.. inArea.Where(r => r.Operator == op)];
                int Count(string status) => links.Count(r => r.Status == status);
                shares.Add(new Qcvn34AreaShare(area.Kind.ToName(), area.Code, area.Name, op, Count(ComplianceStatus.Met), Count(ComplianceStatus.Below),
                    Count(ComplianceStatus.InsufficientData), Count(NoAdvertisedSpeed)));
            }
        }

        return shares;
    }

    /// <summary>
    /// Stores the links' verdicts and the areas' shares (PostgreSQL, InfluxDB <c>qcvn34</c> and <c>qcvn34_area</c>); a link or
    /// area whose point cannot be written is handed to <paramref name="failed"/> and the rest are written.
    /// </summary>
    public async Task SaveAsync(
        string provinceCode, IReadOnlyList<Qcvn34Result> results, IReadOnlyList<Qcvn34AreaShare> shares, DateTimeOffset from, DateTimeOffset to,
        DateTimeOffset evaluatedAt, Func<string, string, Exception, Task> failed, CancellationToken cancellationToken)
    {
        var lines = new LineBuilder();
        var at = WritePrecision.Seconds.ToTimestamp(evaluatedAt);
        var stored = new List<Qcvn34Result>();
        foreach (var result in results)
        {
            try
            {
                lines.Measurement("qcvn34").Tag("probe", result.ProbeId).Tag("link", result.Link).Tag("status", result.Status)
                    .Tag("province", provinceCode).Tag("commune", result.CommuneCode).Tag("operator", result.Operator)
                    .Field("mean_download_mbps", result.MeanDownloadMbps).Field("median_download_mbps", result.MedianDownloadMbps)
                    .Field("p20_download_mbps", result.P20DownloadMbps).Field("advertised_download_mbps", result.AdvertisedDownloadMbps)
                    .Field("ratio", result.Ratio).Field("mean_pct", result.MeanPct).Field("median_pct", result.MedianPct).Field("p80_80_pct", result.P80Of80Pct)
                    .Field("samples", (long)result.Samples).Timestamp(at);
                stored.Add(result);
            }
            catch (ArgumentException ex)
            {
                lines.Abandon();
                await failed("probe-link", $"{result.ProbeId}/{result.Link}", ex);
            }
        }

        var storedShares = new List<Qcvn34AreaShare>();
        foreach (var share in shares)
        {
            try
            {
                lines.Measurement("qcvn34_area").Tag("province", provinceCode).Tag("area_kind", share.AreaKind).Tag("area", share.AreaCode)
                    .Tag("district", share.AreaKind == "former-district" ? share.AreaCode : null).Tag("commune", share.AreaKind == "commune" ? share.AreaCode : null)
                    .Tag("operator", share.Operator)
                    .Field("links_met", (long)share.LinksMet).Field("links_below", (long)share.LinksBelow).Field("links_insufficient", (long)share.LinksInsufficient)
                    .Field("links_no_advertised", (long)share.LinksNoAdvertised).Field("share_met", share.SharePct).Timestamp(at);
                storedShares.Add(share);
            }
            catch (ArgumentException ex)
            {
                lines.Abandon();
                await failed("area", $"{share.AreaKind}/{share.AreaCode}", ex);
            }
        }

        if (stored.Count > 0 || storedShares.Count > 0)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection);
            foreach (var result in stored)
            {
                var command = new NpgsqlBatchCommand("""
                    INSERT INTO qcvn34_evaluations (evaluated_at, window_start, window_end, probe_id, link, mean_download_mbps, advertised_download_mbps, samples,
                        status, median_download_mbps, p20_download_mbps, operator, commune_code)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING
                    """);
                command.Parameters.Add(new NpgsqlParameter { Value = evaluatedAt });
                command.Parameters.Add(new NpgsqlParameter { Value = from });
                command.Parameters.Add(new NpgsqlParameter { Value = to });
                command.Parameters.Add(new NpgsqlParameter { Value = result.ProbeId });
                command.Parameters.Add(new NpgsqlParameter { Value = result.Link });
                command.Parameters.Add(Double(result.MeanDownloadMbps));
                command.Parameters.Add(Double(result.AdvertisedDownloadMbps));
                command.Parameters.Add(new NpgsqlParameter { Value = result.Samples });
                command.Parameters.Add(new NpgsqlParameter { Value = result.Status });
                command.Parameters.Add(Double(result.MedianDownloadMbps));
                command.Parameters.Add(Double(result.P20DownloadMbps));
                command.Parameters.Add(new NpgsqlParameter { Value = result.Operator });
                command.Parameters.Add(new NpgsqlParameter { Value = result.CommuneCode });
                batch.BatchCommands.Add(command);
            }

            foreach (var share in storedShares)
            {
                var command = new NpgsqlBatchCommand("""
                    INSERT INTO qcvn34_areas (province_code, area_kind, area_code, operator, evaluated_at, links_met, links_below, links_insufficient, links_no_advertised)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    ON CONFLICT (area_kind, area_code, operator) DO UPDATE SET province_code = excluded.province_code, evaluated_at = excluded.evaluated_at,
                        links_met = excluded.links_met, links_below = excluded.links_below, links_insufficient = excluded.links_insufficient,
                        links_no_advertised = excluded.links_no_advertised
                    WHERE qcvn34_areas.evaluated_at <= excluded.evaluated_at
                    """);
                command.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
                command.Parameters.Add(new NpgsqlParameter { Value = share.AreaKind });
                command.Parameters.Add(new NpgsqlParameter { Value = share.AreaCode });
                command.Parameters.Add(new NpgsqlParameter { Value = share.Operator });
                command.Parameters.Add(new NpgsqlParameter { Value = evaluatedAt });
                command.Parameters.Add(new NpgsqlParameter { Value = share.LinksMet });
                command.Parameters.Add(new NpgsqlParameter { Value = share.LinksBelow });
                command.Parameters.Add(new NpgsqlParameter { Value = share.LinksInsufficient });
                command.Parameters.Add(new NpgsqlParameter { Value = share.LinksNoAdvertised });
                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        if (lines.Count > 0)
        {
            await influx.WriteAsync(lines.ToString(), WritePrecision.Seconds, cancellationToken);
        }
    }

    /// <summary>The latest verdict of every judged link (optionally of one probe).</summary>
    public async Task<List<Qcvn34Record>> LatestAsync(string? probeId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT DISTINCT ON (probe_id, link) probe_id, link, evaluated_at, window_start, window_end, mean_download_mbps, advertised_download_mbps,
                samples, status, median_download_mbps, p20_download_mbps, operator, commune_code
            FROM qcvn34_evaluations WHERE $1::text IS NULL OR probe_id = $1 ORDER BY probe_id, link, evaluated_at DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)probeId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var records = new List<Qcvn34Record>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            double? D(int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
            string? S(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            records.Add(new Qcvn34Record(
                reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetFieldValue<DateTimeOffset>(4), D(5), D(6), reader.GetInt32(7), reader.GetString(8), D(9), D(10), S(11), S(12)));
        }

        return records;
    }

    /// <summary>The latest QCVN 34 share of every area of a province (per operator and <c>all</c>).</summary>
    public async Task<List<Qcvn34AreaShare>> AreaSharesAsync(string provinceCode, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT q.area_kind, q.area_code, COALESCE(a.name, q.area_code), q.operator, q.links_met, q.links_below, q.links_insufficient, q.links_no_advertised
            FROM qcvn34_areas q LEFT JOIN areas a ON a.kind = q.area_kind AND a.code = q.area_code
            WHERE q.province_code = $1 ORDER BY q.area_kind, q.area_code, q.operator
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
        var shares = new List<Qcvn34AreaShare>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            shares.Add(new Qcvn34AreaShare(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetInt32(4), reader.GetInt32(5), reader.GetInt32(6), reader.GetInt32(7)));
        }

        return shares;
    }

    private static NpgsqlParameter Double(double? value) =>
        new() { Value = value is { } v && double.IsFinite(v) ? v : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double };
}
