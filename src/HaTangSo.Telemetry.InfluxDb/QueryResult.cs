using System.Text.Json;
using System.Text.Json.Serialization;

namespace HaTangSo.Telemetry.InfluxDb;

/// <summary>The answer of <c>/query</c>: one result per statement.</summary>
public sealed record QueryResponse(
    [property: JsonPropertyName("results")] IReadOnlyList<StatementResult>? Results,
    [property: JsonPropertyName("error")] string? Error);

/// <summary>One statement's result.</summary>
public sealed record StatementResult(
    [property: JsonPropertyName("statement_id")] int StatementId,
    [property: JsonPropertyName("series")] IReadOnlyList<Series>? Series,
    [property: JsonPropertyName("error")] string? Error);

/// <summary>One series: a measurement, its group-by tags, and rows of values in column order.</summary>
public sealed record Series(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("tags")] IReadOnlyDictionary<string, string>? Tags,
    [property: JsonPropertyName("columns")] IReadOnlyList<string> Columns,
    [property: JsonPropertyName("values")] IReadOnlyList<IReadOnlyList<JsonElement>>? Values)
{
    /// <summary>The rows as column → value dictionaries, group-by tags included as strings.</summary>
    public IEnumerable<IReadOnlyDictionary<string, JsonElement>> Rows()
    {
        foreach (var values in Values ?? [])
        {
            var row = new Dictionary<string, JsonElement>(Columns.Count + (Tags?.Count ?? 0), StringComparer.Ordinal);
            foreach (var (key, value) in Tags ?? new Dictionary<string, string>())
            {
                row[key] = JsonSerializer.SerializeToElement(value, InfluxJsonContext.Default.String);
            }

            for (var i = 0; i < Columns.Count && i < values.Count; i++)
            {
                row[Columns[i]] = values[i];
            }

            yield return row;
        }
    }
}

/// <summary>The error body of a failed request.</summary>
internal sealed record ErrorBody([property: JsonPropertyName("error")] string? Error);

[JsonSerializable(typeof(QueryResponse))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(string))]
internal sealed partial class InfluxJsonContext : JsonSerializerContext;
