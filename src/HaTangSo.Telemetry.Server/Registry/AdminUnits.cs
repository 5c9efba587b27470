using System.Text.Json.Serialization;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>The administrative-unit catalogue file (<c>Registry/Data/admin-units.json</c>).</summary>
internal sealed record AdminUnitCatalog(string? Source, IReadOnlyList<AdminProvince> Provinces);

internal sealed record AdminProvince(string Code, string Name, string? Type, GeoPoint? Centroid, IReadOnlyList<AdminDistrict> Districts);

internal sealed record AdminDistrict(string Code, string Name, string? Type, GeoPoint? Centroid, IReadOnlyList<AdminCommune> Communes);

internal sealed record AdminCommune(string Code, string Name, string? Type);

internal sealed record GeoPoint(double Lat, double Lon);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(AdminUnitCatalog))]
internal sealed partial class AdminUnitJsonContext : JsonSerializerContext;
