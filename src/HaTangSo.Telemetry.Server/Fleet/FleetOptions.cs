using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Fleet;

/// <summary>Commands to probes, bound from <c>Fleet</c>.</summary>
public sealed class FleetOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Fleet";

    /// <summary>
    /// How long a command stays valid (default 10 minutes; 1 minute to 1 day): the MQTT 5 message expiry interval of its
    /// publication and its <c>expiresAt</c>. A probe offline longer does not run it late, and the API then says <c>expired</c>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00", ErrorMessage = "Fleet:CommandExpiry must be between 1 minute and 1 day.")]
    public TimeSpan CommandExpiry { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often the staged roll-outs are advanced (default 1 minute; 1 second to 1 hour): each round judges every running
    /// roll-out's current wave and issues the next one when it passed. An API change runs a round at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Fleet:RolloutInterval must be between 1 second and 1 hour.")]
    public TimeSpan RolloutInterval { get; set; } = TimeSpan.FromMinutes(1);
}

[OptionsValidator]
internal sealed partial class FleetOptionsValidator : IValidateOptions<FleetOptions>;
