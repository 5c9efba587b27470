using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.OpenData;

/// <summary>The open-data export (issue 13.8), bound from <c>OpenData</c>.</summary>
public sealed class OpenDataOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "OpenData";

    /// <summary>The licence the data is published under, as an SPDX id or name (default <c>CC-BY-4.0</c>).</summary>
    [Required]
    [RegularExpression(@"^[\p{L}\p{N} .,()/+:-]{1,100}$", ErrorMessage = "OpenData:Licence must be 1-100 letters, digits and . , ( ) / + : - characters.")]
    public string Licence { get; set; } = "CC-BY-4.0";

    /// <summary>Where the licence's text is (default Creative Commons Attribution 4.0).</summary>
    [Required]
    public Uri LicenceUrl { get; set; } = new("https://creativecommons.org/licenses/by/4.0/");

    /// <summary>Who publishes the data (the schema's <c>publisher</c>).</summary>
    [Required]
    [StringLength(200, MinimumLength = 1)]
    public string Publisher { get; set; } = "Sở Khoa học và Công nghệ (Department of Science and Technology)";

    /// <summary>
    /// Serve the open data without an API key (default false: behind the viewer key, for a department that publishes the
    /// files on its own portal). True makes <c>/api/open-data/*</c> public.
    /// </summary>
    public bool AllowAnonymous { get; set; }
}

/// <summary>Validates <see cref="OpenDataOptions"/> at start-up.</summary>
[OptionsValidator]
internal sealed partial class OpenDataOptionsValidator : IValidateOptions<OpenDataOptions>;
