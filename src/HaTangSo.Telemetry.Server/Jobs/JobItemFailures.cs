using System.Diagnostics.Metrics;
using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Resilience;

namespace HaTangSo.Telemetry.Server.Jobs;

/// <summary>
/// Issue 18.3: one bad row (a target, a probe link, an area, an alert that cannot be evaluated or written) never stops
/// a job for everyone. The job runs each row through <see cref="JobRun.TryAsync"/>: a permanent error skips that row
/// with an error log line (event 3600), a count on <c>hts.jobs.items.failed</c> (tags <c>job</c>, <c>item</c>) and an
/// open alert <c>job_item_failed</c> naming the row and the reason; the rest of the run completes. A transient error (a
/// dependency down: <see cref="TransientErrors"/>) is not the row's fault and fails the run, which Hangfire retries.
/// The alert resolves at the end of the first run of that job in which the row did not fail.
/// </summary>
internal sealed class JobItemFailures(AlertStore alerts, IMeterFactory meterFactory, ILogger<JobItemFailures> logger)
{
    private readonly Counter<long> _failed = meterFactory.Create(Diagnostics.IngestionMetrics.MeterName)
        .CreateCounter<long>("hts.jobs.items.failed", "{item}", "Rows a scheduled job skipped because they could not be evaluated or written.");

    /// <summary>Starts counting one run of <paramref name="job"/>.</summary>
    public JobRun Begin(string job) => new(this, job);

    internal async Task FailedAsync(string job, string itemKind, string itemId, Exception exception, CancellationToken cancellationToken)
    {
        var reason = exception.GetType().Name + ": " + exception.Message;
        logger.JobItemFailed(job, itemKind, itemId, reason, exception);
        _failed.Add(1, new KeyValuePair<string, object?>("job", job), new KeyValuePair<string, object?>("item", itemKind));
        await alerts.ApplyJobItemAsync(job, itemKind, itemId, reason, raised: true, cancellationToken);
    }

    internal async Task CompleteAsync(string job, HashSet<string> failedScopes, CancellationToken cancellationToken)
    {
        foreach (var (scope, itemKind, itemId) in await alerts.OpenJobItemAlertsAsync(job, cancellationToken))
        {
            if (!failedScopes.Contains(scope))
            {
                await alerts.ApplyJobItemAsync(job, itemKind, itemId, string.Empty, raised: false, cancellationToken);
                logger.JobItemRecovered(job, itemKind, itemId);
            }
        }
    }
}

/// <summary>One run of a job: which rows failed in it.</summary>
internal sealed class JobRun(JobItemFailures failures, string job)
{
    private readonly HashSet<string> _failed = new(StringComparer.Ordinal);

    /// <summary>The job's name (<c>compliance</c>, <c>rollups</c>, <c>monthly-report</c>, <c>probe-liveness</c>, <c>notifications</c>).</summary>
    public string Job => job;

    /// <summary>Rows skipped so far.</summary>
    public int Failures => _failed.Count;

    /// <summary>Runs <paramref name="work"/> for one row; a permanent error skips the row (logged, counted, alerted) and returns false.</summary>
    public async Task<bool> TryAsync(string itemKind, string itemId, Func<Task> work, CancellationToken cancellationToken)
    {
        try
        {
            await work();
            return true;
        }
        catch (Exception ex) when (!TransientErrors.IsTransient(ex, cancellationToken) && ex is not OperationCanceledException)
        {
            await FailedAsync(itemKind, itemId, ex, cancellationToken);
            return false;
        }
    }

    /// <summary>Records a row that failed outside <see cref="TryAsync"/> (e.g. a line that could not be formatted).</summary>
    public async Task FailedAsync(string itemKind, string itemId, Exception exception, CancellationToken cancellationToken)
    {
        if (_failed.Add(AlertStore.JobItemScope(job, itemKind, itemId)))
        {
            await failures.FailedAsync(job, itemKind, itemId, exception, cancellationToken);
        }
    }

    /// <summary>Resolves the job_item_failed alerts of rows that did not fail this time.</summary>
    public Task CompleteAsync(CancellationToken cancellationToken) => failures.CompleteAsync(job, _failed, cancellationToken);
}
