using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Quarantine;

/// <summary>How much of the quarantine is kept, bound from <c>Quarantine</c>; the housekeeping job enforces it.</summary>
public sealed class QuarantineOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Quarantine";

    /// <summary>
    /// Most rows kept (default 1,000,000, about 1 GB at the measured 954 bytes a row); beyond it the rows seen least
    /// recently are deleted. Identical refusals share one row with a counter, so this counts distinct payloads.
    /// </summary>
    [Range(1_000, 1_000_000_000, ErrorMessage = "Quarantine:MaxRows must be between 1000 and 1000000000.")]
    public long MaxRows { get; set; } = 1_000_000;

    /// <summary>Rows not seen again for this many days are deleted (default 90, the oldest result the server accepts).</summary>
    [Range(1, 3650, ErrorMessage = "Quarantine:RetentionDays must be between 1 and 3650.")]
    public int RetentionDays { get; set; } = 90;
}

[OptionsValidator]
internal sealed partial class QuarantineOptionsValidator : IValidateOptions<QuarantineOptions>;
