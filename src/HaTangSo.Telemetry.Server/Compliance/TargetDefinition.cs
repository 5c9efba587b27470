using System.Text.Json;
using System.Text.Json.Serialization;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>A target as the API and target files write it (JSON, camelCase).</summary>
/// <param name="ProvinceCode">General Statistics Office code of the province.</param>
/// <param name="DistrictCode">One district only, or null for the whole province.</param>
/// <param name="Access"><c>fixed</c> or <c>mobile</c>.</param>
/// <param name="Technology">Only this technology (<c>5g</c>, <c>ftth</c>...), or null for all.</param>
/// <param name="Metric"><c>download</c>, <c>upload</c> or <c>latency</c>.</param>
/// <param name="Statistic"><c>median</c>, <c>mean</c>, <c>p1</c>..<c>p99</c> or <c>share_at_least</c>.</param>
/// <param name="ShareValue">For <c>share_at_least</c>: the value a sample must reach.</param>
/// <param name="Threshold">The figure to reach (Mb/s, ms, or a percentage for <c>share_at_least</c>).</param>
/// <param name="ValidFrom">First day in force (Vietnam time).</param>
/// <param name="ValidTo">First day no longer in force, or null.</param>
/// <param name="Source">The plan and its number.</param>
/// <param name="AreaKind">The scope: <c>province</c> (today's, the default), <c>former-province</c> (the province as it was
/// before 1 July 2025, for plans written then), <c>former-district</c>, <c>commune</c> or <c>custom</c>.</param>
/// <param name="AreaCode">The scope's code (the province's code for <c>province</c>).</param>
/// <param name="Operator">Only this operator (<c>VNPT</c>, <c>Viettel</c>, ...), or null for every operator.</param>
/// <param name="Weighting"><c>link</c> (default: every probe link counts once) or <c>pooled</c> (every sample counts once).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TargetDefinition(
    string ProvinceCode, string? DistrictCode, string Access, string? Technology, string Metric, string Statistic,
    double? ShareValue, [property: JsonRequired] double Threshold, [property: JsonRequired] DateOnly ValidFrom, DateOnly? ValidTo, string Source,
    string? AreaKind = null, string? AreaCode = null, string? Operator = null, string? Weighting = null) : Api.IValidatableRequest
{
    /// <summary>
    /// The target with <paramref name="id"/>: empty strings read as "none", the technology in lower case, the scope made
    /// explicit.
    /// </summary>
    public Target ToTarget(int id = 0)
    {
        var district = string.IsNullOrWhiteSpace(DistrictCode) ? null : DistrictCode;
        var (kind, code) = !string.IsNullOrWhiteSpace(AreaKind) || !string.IsNullOrWhiteSpace(AreaCode) ? (NullIfEmpty(AreaKind), NullIfEmpty(AreaCode))
            : district is not null ? ("former-district", district) : ("province", ProvinceCode);
        return new(
            id, ProvinceCode ?? string.Empty, kind == "former-district" ? code : district, Access ?? string.Empty,
            string.IsNullOrWhiteSpace(Technology) ? null : Registry.LinkNames.Technology(Technology), Metric ?? string.Empty, Statistic ?? string.Empty,
            ShareValue, Threshold, ValidFrom, ValidTo, Source ?? string.Empty, null, kind, code,
            string.IsNullOrWhiteSpace(Operator) ? null : Ingestion.OperatorNames.Canonical(Operator), string.IsNullOrWhiteSpace(Weighting) ? "link" : Weighting);
    }

    void Api.IValidatableRequest.Validate(Api.RequestErrors errors, string prefix)
    {
        foreach (var (field, problems) in ToTarget().Validate())
        {
            foreach (var problem in problems)
            {
                errors.Add(Api.RequestErrors.Path(prefix, field), problem);
            }
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>Reads a target file: a JSON array of targets. Errors name the entry and the field.</summary>
    public static List<Target> ReadFile(string path)
    {
        List<TargetDefinition>? definitions;
        try
        {
            using var stream = File.OpenRead(path);
            definitions = JsonSerializer.Deserialize(stream, TargetJsonContext.Default.ListTargetDefinition);
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"Compliance:TargetsFile '{path}' is not a JSON array of targets: {ex.Message}", ex);
        }

        var targets = new List<Target>();
        foreach (var (definition, index) in (definitions ?? []).Select((d, i) => (d, i)))
        {
            if (definition is null)
            {
                throw new InvalidOperationException($"Compliance:TargetsFile '{path}' entry [{index}] is null.");
            }

            var target = definition.ToTarget();
            var errors = target.Validate();
            if (errors.Count > 0)
            {
                throw new InvalidOperationException(
                    $"Compliance:TargetsFile '{path}' entry [{index}]: " + string.Join("; ", errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}")));
            }

            targets.Add(target);
        }

        return targets;
    }
}

/// <summary>Source-generated JSON for target files.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(List<TargetDefinition>))]
internal sealed partial class TargetJsonContext : JsonSerializerContext;
