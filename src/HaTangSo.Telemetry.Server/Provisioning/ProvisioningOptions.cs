using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>
/// Probe enrolment on a Mosquitto broker with the dynamic-security plugin, bound from <c>Provisioning</c>. Off
/// unless <see cref="AdminUsername"/> is set.
/// </summary>
public sealed class ProvisioningOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Provisioning";

    /// <summary>The broker's dynamic-security administrator (created by <c>mosquitto_ctrl dynsec init</c>).</summary>
    public string? AdminUsername { get; set; }

    /// <summary>Its password (environment or secret file only).</summary>
    public string? AdminPassword { get; set; }

    /// <summary>The broker address written into enrolled probes' configuration.</summary>
    public string ProbeBrokerHost { get; set; } = "mqtt.example.vn";

    /// <summary>The broker port written into enrolled probes' configuration (default 8883, TLS).</summary>
    [Range(1, 65535, ErrorMessage = "Provisioning:ProbeBrokerPort must be between 1 and 65535.")]
    public int ProbeBrokerPort { get; set; } = 8883;

    /// <summary>Whether enrolled probes use TLS (default true).</summary>
    public bool ProbeBrokerTls { get; set; } = true;

    /// <summary>Where the probe finds the CA certificate that signed the broker's (written into its configuration).</summary>
    public string ProbeCaFile { get; set; } = "/etc/hts-probe/ca.crt";

    /// <summary>The speed-test server written into enrolled probes' configuration.</summary>
    public Uri SpeedTestUrl { get; set; } = new("http://speedtest.example.vn:8090/");

    /// <summary>The speed-test server's id (the <c>server</c> tag of results).</summary>
    public string SpeedTestId { get; set; } = "dc-1";

    /// <summary>True when enrolment is configured.</summary>
    public bool Enabled => !string.IsNullOrEmpty(AdminUsername);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && string.IsNullOrEmpty(AdminPassword))
        {
            yield return new ValidationResult(
                "Provisioning:AdminPassword is required when Provisioning:AdminUsername is set (from the environment, never the repository).",
                [nameof(AdminPassword)]);
        }
    }
}

/// <summary>Validates <see cref="ProvisioningOptions"/> at start-up (source-generated from the attributes and <see cref="ProvisioningOptions.Validate"/>).</summary>
[OptionsValidator]
internal sealed partial class ProvisioningOptionsValidator : IValidateOptions<ProvisioningOptions>;
