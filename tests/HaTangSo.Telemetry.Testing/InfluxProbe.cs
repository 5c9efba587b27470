using System.Net.Http.Json;
using System.Text.Json;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// Reads InfluxDB the way a dashboard would (plain <c>/query</c>), independently of the server's adapter,
/// so a test does not check the adapter with itself.
/// </summary>
public sealed class InfluxProbe(Uri baseAddress, string database) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress };

    public async Task<JsonElement> QueryAsync(string influxQl, CancellationToken cancellationToken)
    {
        var url = $"/query?db={Uri.EscapeDataString(database)}&epoch=ns&q={Uri.EscapeDataString(influxQl)}";
        using var response = await _http.GetAsync(url, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{influxQl}: {body}");
        }
        return body;
    }

    /// <summary>Rows of the first series of the first statement (empty when there is none).</summary>
    public async Task<IReadOnlyList<Dictionary<string, JsonElement>>> RowsAsync(string influxQl, CancellationToken cancellationToken)
    {
        var body = await QueryAsync(influxQl, cancellationToken);
        var result = body.GetProperty("results")[0];
        if (!result.TryGetProperty("series", out var series))
        {
            return [];
        }

        var rows = new List<Dictionary<string, JsonElement>>();
        foreach (var serie in series.EnumerateArray())
        {
            var columns = serie.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
            var tags = serie.TryGetProperty("tags", out var t) ? t.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()) : [];
            foreach (var value in serie.GetProperty("values").EnumerateArray())
            {
                var row = new Dictionary<string, JsonElement>(tags);
                var i = 0;
                foreach (var cell in value.EnumerateArray())
                {
                    row[columns[i++]] = cell.Clone();
                }

                rows.Add(row);
            }
        }

        return rows;
    }

    /// <summary>Number of speedtest points (count of the always-present result_id field).</summary>
    public async Task<long> CountResultsAsync(CancellationToken cancellationToken)
    {
        var rows = await RowsAsync("SELECT COUNT(result_id) FROM speedtest", cancellationToken);
        return rows.Count == 0 ? 0 : rows[0]["count"].GetInt64();
    }

    /// <summary>Distinct result ids written.</summary>
    public async Task<HashSet<string>> ResultIdsAsync(CancellationToken cancellationToken)
    {
        var rows = await RowsAsync("SELECT result_id FROM speedtest", cancellationToken);
        return [.. rows.Select(r => r["result_id"].GetString()!)];
    }

    public void Dispose() => _http.Dispose();
}
