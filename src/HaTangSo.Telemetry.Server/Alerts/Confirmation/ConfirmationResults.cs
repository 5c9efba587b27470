using System.Text.Json;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Compliance;

namespace HaTangSo.Telemetry.Server.Alerts.Confirmation;

/// <summary>
/// Reads the results of an area's links against the confirmation server since a round was requested, and computes the
/// target's own statistic of them (per result). Only ok and partial results count, not those the probe flagged
/// <c>cpu_bound</c>, as in every verdict.
/// </summary>
internal sealed class ConfirmationResults(InfluxDbClient influx)
{
    /// <summary>What the results of <paramref name="row"/>'s area against <paramref name="serverId"/> in [since, until) show.</summary>
    public async Task<ConfirmationFinding> ReadAsync(
        AreaCompliance row, IReadOnlyList<string> communeTags, string serverId, DateTimeOffset since, DateTimeOffset until,
        CancellationToken cancellationToken)
    {
        var target = row.Target!;
        var values = new List<double>();
        if (communeTags.Count > 0 && until > since)
        {
            var field = row.Metric switch { "upload" => "upload_mbps", "latency" => "latency_ms", _ => "download_mbps" };
            // Every value below is registry-checked (commune codes are digits, access/operator/technology/server are registered
            // names) and quoted anyway.
            var query = $"""
                SELECT {field}, cpu_bound FROM speedtest
                WHERE commune =~ /^({string.Join('|', communeTags)})$/ AND access = {InfluxQl.QuoteString(row.Access)}
                  AND server = {InfluxQl.QuoteString(serverId)}
                  {(row.Operator == ComplianceWindow.AllOperators ? string.Empty : $"AND \"operator\" = {InfluxQl.QuoteString(row.Operator)}")}
                  {(row.Technology.Length == 0 ? string.Empty : $"AND technology = {InfluxQl.QuoteString(row.Technology)}")}
                  AND (status = 'ok' OR status = 'partial') AND time >= {InfluxQl.Time(since)} AND time < {InfluxQl.Time(until)}
                """;
            foreach (var statement in await influx.QueryAsync(query, cancellationToken))
            {
                foreach (var series in statement.Series ?? [])
                {
                    var value = IndexOf(series.Columns, field);
                    var flag = IndexOf(series.Columns, "cpu_bound");
                    foreach (var point in series.Values ?? [])
                    {
                        var cpuBound = flag >= 0 && flag < point.Count && point[flag].ValueKind == JsonValueKind.True;
                        if (!cpuBound && value >= 0 && value < point.Count && point[value].ValueKind == JsonValueKind.Number
                            && point[value].GetDouble() is var v && double.IsFinite(v))
                        {
                            values.Add(v);
                        }
                    }
                }
            }
        }

        var count = values.Count;
        var statistic = SampleStatistics.Compute(values, row.Statistic, target.ShareValue);
        bool? met = statistic is { } s ? (target.LowerIsBetter ? s <= target.Threshold : s >= target.Threshold) : null;
        return new ConfirmationFinding(serverId, count, statistic, target.Threshold, met);
    }

    private static int IndexOf(IReadOnlyList<string> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i] == name)
            {
                return i;
            }
        }

        return -1;
    }
}
