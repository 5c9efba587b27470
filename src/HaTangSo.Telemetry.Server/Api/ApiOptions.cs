using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>API settings, bound from <c>Api</c>.</summary>
public sealed class ApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Api";

    /// <summary>The API keys, as SHA-256 hashes with a role each.</summary>
    [ValidateEnumeratedItems]
    public IList<ApiKeyOptions> Keys { get; } = [];
}

/// <summary>One API key.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Who holds the key (shown in logs instead of the key).</summary>
    [Required(ErrorMessage = "Api:Keys:N:Name is required.")]
    public string Name { get; set; } = string.Empty;

    /// <summary><c>viewer</c> (read) or <c>operator</c> (read and change).</summary>
    [RegularExpression("^(viewer|operator)$", ErrorMessage = "Api:Keys:N:Role must be 'viewer' or 'operator'.")]
    public string Role { get; set; } = ApiRoles.Viewer;

    /// <summary>Lower- or upper-case hex SHA-256 of the key (<c>printf %s "$KEY" | sha256sum</c>).</summary>
    [RegularExpression("^[0-9A-Fa-f]{64}$", ErrorMessage = "Api:Keys:N:Sha256 must be 64 hex digits (the SHA-256 of the key).")]
    public string Sha256 { get; set; } = string.Empty;
}

/// <summary>Roles and the authorization policies named after them.</summary>
public static class ApiRoles
{
    /// <summary>May read.</summary>
    public const string Viewer = "viewer";

    /// <summary>May read and change.</summary>
    public const string Operator = "operator";
}

[OptionsValidator]
internal sealed partial class ApiOptionsValidator : IValidateOptions<ApiOptions>;
