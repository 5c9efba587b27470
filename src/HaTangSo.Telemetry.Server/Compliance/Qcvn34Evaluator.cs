using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>One fixed link judged by QCVN 34:2022/BTTTT.</summary>
public sealed record Qcvn34Result(
    string ProbeId, string Link, double? MeanDownloadMbps, double AdvertisedDownloadMbps, int Samples, string Status)
{
    /// <summary>Mean download as a share of the advertised speed.</summary>
    public double? Ratio => MeanDownloadMbps / AdvertisedDownloadMbps;
}

/// <summary>A stored QCVN 34 verdict.</summary>
public sealed record Qcvn34Record(
    string ProbeId, string Link, DateTimeOffset EvaluatedAt, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, double? MeanDownloadMbps,
    double AdvertisedDownloadMbps, int Samples, string Status);

/// <summary>
/// The national quality rule for fixed broadband (QCVN 34:2022/BTTTT): over the period, a link's mean download
/// is at least 0.8 × its advertised speed. Judged per probe link that has an advertised speed in the registry.
/// </summary>
internal sealed class Qcvn34Evaluator(RegistryStore registry, NpgsqlDataSource dataSource, InfluxDbClient influx, IOptions<ComplianceOptions> options)
{
    /// <summary>Judges every fixed link with an advertised speed of a province's probes over <c>[from, to)</c>.</summary>
    public async Task<List<Qcvn34Result>> EvaluateAsync(
        string provinceCode, IReadOnlyList<Sample> samples, DateTimeOffset from, DateTimeOffset to, DateTimeOffset evaluatedAt, CancellationToken cancellationToken)
    {
        var byLink = samples.Where(s => s.Access == "fixed" && s.Download is not null).ToLookup(s => (s.Probe, s.Link));
        var results = new List<Qcvn34Result>();
        foreach (var probe in (await registry.LoadLocationsAsync(cancellationToken)).Where(p => p.ProvinceCode == provinceCode))
        {
            foreach (var link in probe.Links.Where(l => l.Access == "fixed" && l.AdvertisedDownloadMbps is > 0))
            {
                var values = byLink[(probe.ProbeId, link.Name)].Select(s => s.Download!.Value).ToList();
                var mean = values.Count == 0 ? (double?)null : values.Average();
                var advertised = link.AdvertisedDownloadMbps!.Value;
                var status = values.Count < options.Value.Qcvn34MinSamples ? ComplianceStatus.InsufficientData
                    : mean >= options.Value.Qcvn34Ratio * advertised ? ComplianceStatus.Met : ComplianceStatus.Below;
                results.Add(new Qcvn34Result(probe.ProbeId, link.Name, mean, advertised, values.Count, status));
            }
        }

        await SaveAsync(results, from, to, evaluatedAt, cancellationToken);
        return results;
    }

    /// <summary>The latest verdict of every judged link (optionally of one probe).</summary>
    public async Task<List<Qcvn34Record>> LatestAsync(string? probeId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT DISTINCT ON (probe_id, link) probe_id, link, evaluated_at, window_start, window_end, mean_download_mbps, advertised_download_mbps,
                samples, status
            FROM qcvn34_evaluations WHERE $1::text IS NULL OR probe_id = $1 ORDER BY probe_id, link, evaluated_at DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)probeId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var records = new List<Qcvn34Record>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new Qcvn34Record(
                reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetDouble(5), reader.GetDouble(6), reader.GetInt32(7),
                reader.GetString(8)));
        }

        return records;
    }

    private async Task SaveAsync(List<Qcvn34Result> results, DateTimeOffset from, DateTimeOffset to, DateTimeOffset evaluatedAt, CancellationToken cancellationToken)
    {
        if (results.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var lines = new LineBuilder();
        foreach (var result in results)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO qcvn34_evaluations (evaluated_at, window_start, window_end, probe_id, link, mean_download_mbps, advertised_download_mbps, samples, status)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = evaluatedAt });
            command.Parameters.Add(new NpgsqlParameter { Value = from });
            command.Parameters.Add(new NpgsqlParameter { Value = to });
            command.Parameters.Add(new NpgsqlParameter { Value = result.ProbeId });
            command.Parameters.Add(new NpgsqlParameter { Value = result.Link });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)result.MeanDownloadMbps ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            command.Parameters.Add(new NpgsqlParameter { Value = result.AdvertisedDownloadMbps });
            command.Parameters.Add(new NpgsqlParameter { Value = result.Samples });
            command.Parameters.Add(new NpgsqlParameter { Value = result.Status });
            batch.BatchCommands.Add(command);
            lines.Measurement("qcvn34").Tag("probe", result.ProbeId).Tag("link", result.Link).Tag("status", result.Status)
                .Field("mean_download_mbps", result.MeanDownloadMbps).Field("advertised_download_mbps", result.AdvertisedDownloadMbps)
                .Field("ratio", result.Ratio).Field("samples", (long)result.Samples)
                .Timestamp(WritePrecision.Seconds.ToTimestamp(evaluatedAt));
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
        await influx.WriteAsync(lines.ToString(), WritePrecision.Seconds, cancellationToken);
    }
}
