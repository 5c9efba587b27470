using System.Text.Json;
using System.Text.Json.Serialization;

namespace HaTangSo.Telemetry.Contracts;

/// <summary>
/// Source-generated JSON (no reflection, Native AOT safe). camelCase names; duplicate properties are refused
/// so a message cannot say two things at once; named floating-point literals (NaN, Infinity) are refused.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowDuplicateProperties = false,
    NumberHandling = JsonNumberHandling.Strict,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(ResultMessage))]
[JsonSerializable(typeof(StatusMessage))]
[JsonSerializable(typeof(Fleet.MeasurementConfig))]
[JsonSerializable(typeof(Fleet.CommandMessage))]
[JsonSerializable(typeof(Fleet.CommandAck))]
public sealed partial class ContractsJsonContext : JsonSerializerContext
{
    /// <summary>Options for pretty output (the probe's <c>measure --json</c>).</summary>
    public static JsonSerializerOptions Indented => s_indented ??= new JsonSerializerOptions(Default.Options) { WriteIndented = true };

    private static JsonSerializerOptions? s_indented;
}
