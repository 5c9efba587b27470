namespace HaTangSo.Telemetry.Server.Areas;

/// <summary>
/// What an area is: a named set of communes of one province. The built-in kinds are derived from the region catalogue
/// on every load; <see cref="Custom"/> areas are the operators' own (<c>POST /api/areas</c>).
/// </summary>
public enum AreaKind
{
    /// <summary>A province as it is today (all its communes).</summary>
    Province,

    /// <summary>A province as it was before 1 July 2025: the current communes that came from it (targets written then).</summary>
    FormerProvince,

    /// <summary>A district as it was before 1 July 2025: the current communes whose principal former district it is.</summary>
    FormerDistrict,

    /// <summary>One current commune.</summary>
    Commune,

    /// <summary>An operator-defined set of communes ("vùng biên giới").</summary>
    Custom,
}

/// <summary>The machine names of <see cref="AreaKind"/> (tags, API, database).</summary>
public static class AreaKinds
{
    private static readonly string[] s_names = ["province", "former-province", "former-district", "commune", "custom"];

    /// <summary>Every kind, in the order of <see cref="AreaKind"/>.</summary>
    public static IReadOnlyList<AreaKind> All { get; } = Enum.GetValues<AreaKind>();

    /// <summary><c>province</c>, <c>former-province</c>, <c>former-district</c>, <c>commune</c> or <c>custom</c>.</summary>
    public static string ToName(this AreaKind kind) => s_names[(int)kind];

    /// <summary>The kind named <paramref name="name"/>.</summary>
    public static bool TryParse(string? name, out AreaKind kind)
    {
        var index = Array.IndexOf(s_names, name);
        kind = index < 0 ? default : (AreaKind)index;
        return index >= 0;
    }

    /// <summary>The Vietnamese label of a kind (reports, the overview page).</summary>
    public static string Label(this AreaKind kind) => kind switch
    {
        AreaKind.Province => "Tỉnh/thành phố",
        AreaKind.FormerProvince => "Tỉnh cũ (trước 1/7/2025)",
        AreaKind.FormerDistrict => "Huyện cũ (trước 1/7/2025)",
        AreaKind.Commune => "Xã/phường",
        _ => "Vùng",
    };
}

/// <summary>An area with its current communes.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Code">GSO code (built-in kinds) or the operator's id (custom).</param>
/// <param name="ProvinceCode">The current province it lies in.</param>
/// <param name="Name">Vietnamese name.</param>
/// <param name="Communes">Its current communes.</param>
internal sealed record Area(AreaKind Kind, string Code, string ProvinceCode, string Name, IReadOnlyList<string> Communes);
