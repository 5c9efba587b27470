using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Influx;

/// <summary>
/// InfluxDB settings, bound from <c>Influx</c>. The server speaks the v1 HTTP API, which InfluxDB 1.x
/// serves natively and 2.x/3.x in compatibility mode (there, map the database and retention policy to a
/// bucket — a DBRP mapping — and set <see cref="CreateDatabase"/> to false).
/// </summary>
public sealed class InfluxOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Influx";

    /// <summary>Base address, e.g. <c>http://127.0.0.1:8086</c>.</summary>
    [Required(ErrorMessage = "Influx:Url is required.")]
    public Uri? Url { get; set; }

    /// <summary>The database (1.x) or the database name mapped to a bucket (2.x/3.x).</summary>
    [Required(ErrorMessage = "Influx:Database is required.")]
    [RegularExpression("^[A-Za-z0-9_-]{1,64}$", ErrorMessage = "Influx:Database must be 1-64 letters, digits, '-' or '_'.")]
    public string Database { get; set; } = "hatangso";

    /// <summary>The retention policy results are written to.</summary>
    [RegularExpression("^[A-Za-z0-9_-]{1,64}$", ErrorMessage = "Influx:RetentionPolicy must be 1-64 letters, digits, '-' or '_'.")]
    public string RetentionPolicy { get; set; } = "hts_results";

    /// <summary>How long raw results are kept (the plans run to 2030; default ten years).</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "36500.00:00:00", ErrorMessage = "Influx:RetentionDuration must be between 1 and 36500 days.")]
    public TimeSpan RetentionDuration { get; set; } = TimeSpan.FromDays(3650);

    /// <summary>Create the database and retention policy at start-up (InfluxDB 1.x only).</summary>
    public bool CreateDatabase { get; set; } = true;

    /// <summary>1.x username (HTTP basic authentication).</summary>
    public string? Username { get; set; }

    /// <summary>1.x password; from the environment or a secrets file.</summary>
    public string? Password { get; set; }

    /// <summary>2.x/3.x API token (<c>Authorization: Token</c>); from the environment or a secrets file.</summary>
    public string? Token { get; set; }

    /// <summary>Compress write bodies with gzip (line protocol shrinks about tenfold).</summary>
    public bool Gzip { get; set; } = true;

    /// <summary>Time allowed for one HTTP request before it counts as failed and is retried.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Influx:Timeout must be between 1 second and 10 minutes.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

[OptionsValidator]
internal sealed partial class InfluxOptionsValidator : IValidateOptions<InfluxOptions>;
