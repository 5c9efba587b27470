namespace HaTangSo.Telemetry.Server.Alerts.Confirmation;

/// <summary>What a confirmation round asks the probes of an area to do: measure now against the confirmation server.</summary>
/// <param name="ScopeKey">The alert scope the round is for.</param>
/// <param name="CommuneTags">The <c>commune</c> tag values of the area's results (current and older codes).</param>
/// <param name="Access"><c>fixed</c> or <c>mobile</c>: the links to measure.</param>
/// <param name="Operator">The operator of the row (<c>*</c> for all).</param>
/// <param name="ServerId">The confirmation server to measure against.</param>
/// <param name="ExpiresAt">When the request is worthless: the round's deadline.</param>
internal sealed record ConfirmationRequest(
    string ScopeKey, IReadOnlyList<string> CommuneTags, string Access, string Operator, string ServerId, DateTimeOffset ExpiresAt);

/// <summary>
/// Asks probes to measure against the confirmation server now. The round does not depend on it: the probes' own schedule
/// also measures against the confirmation server on alternate runs, and those results count too; a requester only makes
/// the round finish sooner.
/// </summary>
internal interface IConfirmationRequests
{
    /// <summary>Sends the requests; the number of measurements asked for (0: none could be asked, the round waits for the schedule).</summary>
    Task<int> RequestAsync(ConfirmationRequest request, CancellationToken cancellationToken);
}

/// <summary>No command channel: the round waits for the probes' scheduled runs against the confirmation server.</summary>
internal sealed class ScheduledRunsOnly : IConfirmationRequests
{
    /// <inheritdoc/>
    public Task<int> RequestAsync(ConfirmationRequest request, CancellationToken cancellationToken) => Task.FromResult(0);
}
