using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>Probe registry and region catalogue settings, bound from <c>Registry</c>.</summary>
public sealed class RegistryOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Registry";

    /// <summary>
    /// A replacement administrative-unit catalogue (same format as <c>Registry/Data/admin-units.json</c>);
    /// empty uses the catalogue built into the server.
    /// </summary>
    public string? CatalogPath { get; set; }

    /// <summary>Whether to load the catalogue into PostgreSQL at start-up (insert or update).</summary>
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
