using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>Probe registry and region catalogue settings, bound from <c>Registry</c>.</summary>
public sealed class RegistryOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Registry";

    /// <summary>
    /// A directory of catalogue files (<c>catalogue-*.json</c> versions and <c>crosswalk-*.json</c>, in the format of
    /// <c>Registry/Data/</c>, as <c>tools/catalogue/generate.mjs</c> writes them) replacing the ones built into the
    /// server; empty uses the built-in ones.
    /// </summary>
    public string? CatalogueDirectory { get; set; }

    /// <summary>
    /// The catalogue version probes are placed in and areas are derived from (default <c>2025-07</c>: 34 provinces,
    /// 3,321 communes). Older versions stay loaded for their codes and the crosswalk.
    /// </summary>
    [RegularExpression("^[a-z0-9][a-z0-9-]{0,63}$", ErrorMessage = "Registry:CurrentCatalogue must be a catalogue version such as 2025-07.")]
    public string CurrentCatalogue { get; set; } = "2025-07";

    /// <summary>Whether to load the catalogue into PostgreSQL at start-up (only the versions whose files changed).</summary>
    public bool SeedCatalog { get; set; } = true;

    /// <summary>
    /// How often the in-memory registry is reloaded even without a change notification (a safety net
    /// for a lost LISTEN connection).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Registry:RefreshInterval must be between 1 second and 1 day.")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The least time between two reloads triggered by results from probes the registry does not know
    /// (a just-registered probe is found at once; a flood of unknown ids does not hammer PostgreSQL).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Registry:MissReloadInterval must be between 0 and 1 hour.")]
    public TimeSpan MissReloadInterval { get; set; } = TimeSpan.FromSeconds(5);
}

[OptionsValidator]
internal sealed partial class RegistryOptionsValidator : IValidateOptions<RegistryOptions>;
