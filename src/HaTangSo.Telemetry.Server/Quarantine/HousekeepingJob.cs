using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Quarantine;

/// <summary>
/// Keeps what ingestion stores about refused and past messages bounded (Hangfire job <c>housekeeping</c>, hourly): the
/// quarantine to <see cref="QuarantineOptions.RetentionDays"/> and <see cref="QuarantineOptions.MaxRows"/> (the rows
/// seen least recently go first), and the stored result ids to <see cref="IngestionOptions.MaxResultAge"/> (a replay of
/// an older result is refused by its age). Idempotent; deletes in chunks, so it never holds a long transaction.
/// </summary>
internal sealed class HousekeepingJob(
    QuarantineStore quarantine,
    ResultIdStore resultIds,
    TimeProvider timeProvider,
    IOptions<QuarantineOptions> quarantineOptions,
    IOptions<IngestionOptions> ingestionOptions,
    ILogger<HousekeepingJob> logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var settings = quarantineOptions.Value;
        var maxAge = ingestionOptions.Value.MaxResultAge;
        var rows = await quarantine.PruneAsync(now - TimeSpan.FromDays(settings.RetentionDays), settings.MaxRows, cancellationToken);
        // A result is stored after it started (plus the clock skew allowed), so once its id is older than the age limit a
        // replay of it is refused by its age anyway.
        var ids = await resultIds.PruneAsync(now - maxAge - ingestionOptions.Value.MaxClockSkew, cancellationToken);
        logger.HousekeepingDone(rows, ids, settings.RetentionDays, settings.MaxRows, maxAge);
    }
}
