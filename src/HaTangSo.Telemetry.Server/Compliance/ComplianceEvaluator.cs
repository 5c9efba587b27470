using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>Compliance statuses, as stored and shown.</summary>
internal static class ComplianceStatus
{
    public const string Met = "met";
    public const string Below = "below";
    public const string InsufficientData = "insufficient_data";
    public const string NoTarget = "no_target";
}

/// <summary>One district × access (× technology) over one window.</summary>
internal sealed record DistrictCompliance(
    string ProvinceCode, string DistrictCode, string Access, string Technology, Target? Target,
    double? Value, int Samples, string Status, DateTimeOffset WindowStart, DateTimeOffset WindowEnd)
{
    /// <summary>The alert scope: district, access and technology.</summary>
    public string ScopeKey => $"{DistrictCode}/{Access}/{(Technology.Length == 0 ? "*" : Technology)}";
}

/// <summary>
/// Evaluates every district of a province against the targets in force at the end of a window. A target that
/// came into force inside the window is applied from its start only: earlier samples belong to the plan
/// before it. A district-level target replaces the province-wide one for that district.
/// </summary>
internal sealed class ComplianceEvaluator(ResultSamples results, TargetStore targets, NpgsqlDataSource dataSource, IOptions<ComplianceOptions> options)
{
    private static readonly string[] s_accesses = ["fixed", "mobile"];

    /// <summary>
    /// Evaluates every district of <paramref name="provinceCode"/> over <c>[from, to)</c>, or only
    /// <paramref name="districtCode"/> (then <paramref name="samples"/>, when given, are that district's).
    /// </summary>
    public async Task<List<DistrictCompliance>> EvaluateAsync(
        string provinceCode, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken, List<Sample>? samples = null,
        string? districtCode = null)
    {
        var inForce = (await targets.ListAsync(provinceCode, includeRetired: false, cancellationToken))
            .Where(t => t.InForceAt(to - TimeSpan.FromTicks(1)))
            .ToList();
        samples ??= await results.ReadAsync(provinceCode, from, to, cancellationToken, districtCode);
        var byDistrict = samples.ToLookup(s => (s.District, s.Access));
        var rows = new List<DistrictCompliance>();
        foreach (var district in districtCode is null ? await DistrictsAsync(provinceCode, cancellationToken) : [districtCode])
        {
            foreach (var access in s_accesses)
            {
                var districtSamples = byDistrict[(district, access)].ToList();
                var applicable = inForce.Where(t => t.Access == access && (t.DistrictCode is null || t.DistrictCode == district))
                    .GroupBy(t => t.Technology ?? string.Empty)
                    .Select(g => g.OrderByDescending(t => t.DistrictCode is not null).ThenByDescending(t => t.ValidFrom).First())
                    .ToList();
                if (applicable.Count == 0)
                {
                    rows.Add(new(provinceCode, district, access, string.Empty, null, null, districtSamples.Count, ComplianceStatus.NoTarget, from, to));
                    continue;
                }

                foreach (var target in applicable)
                {
                    rows.Add(Evaluate(provinceCode, district, access, target, districtSamples, from, to));
                }
            }
        }

        return rows;
    }

    private DistrictCompliance Evaluate(
        string provinceCode, string district, string access, Target target, List<Sample> samples, DateTimeOffset from, DateTimeOffset to)
    {
        var start = target.Start > from ? target.Start : from;
        var startNs = ResultSamples.ToNs(start);
        var values = samples
            .Where(s => s.TimeNs >= startNs && (target.Technology is null || s.Technology == target.Technology))
            .Select(s => target.Metric switch { "download" => s.Download, "upload" => s.Upload, _ => s.Latency })
            .OfType<double>()
            .ToList();
        var technology = target.Technology ?? string.Empty;
        if (values.Count < options.Value.MinSamples)
        {
            return new(provinceCode, district, access, technology, target, SampleStatistics.Compute(values, target.Statistic, target.ShareValue),
                values.Count, ComplianceStatus.InsufficientData, start, to);
        }

        var value = SampleStatistics.Compute(values, target.Statistic, target.ShareValue)!.Value;
        return new(provinceCode, district, access, technology, target, value, values.Count,
            target.IsMet(value) ? ComplianceStatus.Met : ComplianceStatus.Below, start, to);
    }

    /// <summary>The districts of <paramref name="provinceCode"/> in the catalogue.</summary>
    public async Task<List<string>> DistrictsAsync(string provinceCode, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT code FROM districts WHERE province_code = $1 ORDER BY code");
        command.Parameters.Add(new NpgsqlParameter { Value = provinceCode });
        var codes = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            codes.Add(reader.GetString(0));
        }

        return codes;
    }

    /// <summary>Every province of the catalogue.</summary>
    public async Task<List<string>> ProvincesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT code FROM provinces ORDER BY code");
        var codes = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            codes.Add(reader.GetString(0));
        }

        return codes;
    }
}
