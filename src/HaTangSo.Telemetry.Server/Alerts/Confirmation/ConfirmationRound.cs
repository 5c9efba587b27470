using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Alerts.Confirmation;

/// <summary>What the alert store does with an area whose <c>below</c> streak reached the alert's threshold.</summary>
internal abstract record ConfirmationStep
{
    /// <summary>Open the alert now; with a finished round, say what it found.</summary>
    /// <param name="Round">The round that ends with this alert (null: no round was held).</param>
    /// <param name="Finding">What the round found.</param>
    /// <param name="ServerName">The confirmation server's name for people.</param>
    internal sealed record Open(ConfirmationRecord? Round, ConfirmationFinding? Finding, string? ServerName) : ConfirmationStep;

    /// <summary>Do not open yet: a round is pending; <paramref name="Request"/> is sent once the transaction commits.</summary>
    /// <param name="RoundId">The pending round.</param>
    /// <param name="Request">The measurements to ask for (a round just started), or null.</param>
    internal sealed record Wait(long RoundId, ConfirmationRequest? Request) : ConfirmationStep;
}

/// <summary>
/// The confirmation round (issue 15.3): before an area's <c>below</c> alert opens, the area's links are measured against
/// an off-net server (a <see cref="ServerRole.Confirmation"/> server), so a slow path to the province's data-centre
/// server, carried by one operator's network, is not reported as slow access. The round starts when the streak reaches
/// <see cref="AlertOptions.ConsecutiveBelow"/>; it ends at the first evaluation that finds
/// <see cref="AlertOptions.ConfirmationResults"/> results (or as many as measurements were asked for, if fewer), or at
/// <see cref="AlertOptions.ConfirmationTimeout"/>; the alert then opens either way — the verdict is the primary server's —
/// and its text says what the confirmation found. Without a confirmation server, or with
/// <see cref="AlertOptions.ConfirmationRound"/> off, the alert opens at once, as before.
/// </summary>
internal sealed class ConfirmationRound(
    ConfirmationStore store, ConfirmationResults results, IConfirmationRequests requests, SpeedTestServerStore servers,
    IOptions<AlertOptions> options, ILogger<ConfirmationRound> logger)
{
    /// <summary>Decides, inside the alert transaction, whether the alert of <paramref name="row"/> opens now.</summary>
    public async Task<ConfirmationStep> StepAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, AreaCompliance row, IReadOnlyList<string>? communeTags,
        DateTimeOffset evaluatedAt, CancellationToken cancellationToken)
    {
        if (!options.Value.ConfirmationRound || communeTags is null)
        {
            return new ConfirmationStep.Open(null, null, null);
        }

        var pending = await ConfirmationStore.PendingAsync(connection, transaction, kind, row.ScopeKey, cancellationToken);
        if (pending is null)
        {
            var server = (await servers.ListAsync(cancellationToken)).FirstOrDefault(s => s.Role == ServerRole.Confirmation && s.Enabled);
            if (server is null)
            {
                return new ConfirmationStep.Open(null, null, null);
            }

            var deadline = evaluatedAt + options.Value.ConfirmationTimeout;
            var id = await ConfirmationStore.StartAsync(connection, transaction, kind, row.ScopeKey, server.Id, evaluatedAt, deadline, cancellationToken);
            if (id is null)
            {
                return new ConfirmationStep.Open(null, null, null); // cannot happen under the streak lock; never hold an alert back for it
            }

            logger.ConfirmationStarted(row.ScopeKey, server.Id, deadline);
            return new ConfirmationStep.Wait(id.Value, new ConfirmationRequest(row.ScopeKey, communeTags, row.Access, row.Operator, server.Id, deadline));
        }

        var finding = await results.ReadAsync(row, communeTags, pending.ServerId, pending.RequestedAt, evaluatedAt, cancellationToken);
        var needed = pending.Commands > 0 ? Math.Min(pending.Commands, options.Value.ConfirmationResults) : options.Value.ConfirmationResults;
        if (finding.Results < needed && evaluatedAt < pending.Deadline)
        {
            return new ConfirmationStep.Wait(pending.Id, null);
        }

        var name = (await servers.FindAsync(pending.ServerId, cancellationToken))?.Name ?? pending.ServerId;
        return new ConfirmationStep.Open(pending, finding, name);
    }

    /// <summary>Records the end of a round with the alert it opened.</summary>
    public Task FinishAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ConfirmationStep.Open step, string metric, long? alertId, DateTimeOffset at,
        CancellationToken cancellationToken)
    {
        if (step is not { Round: { } round, Finding: { } finding })
        {
            return Task.CompletedTask;
        }

        logger.ConfirmationFinished(round.ScopeKey, round.ServerId, finding.Results, finding.Value, finding.Met);
        var state = finding.Results > 0 ? ConfirmationState.Found : ConfirmationState.NoResult;
        return ConfirmationStore.FinishAsync(connection, transaction, round.Id, state, metric, finding, alertId, at, cancellationToken);
    }

    /// <summary>Cancels a pending round: the area is no longer below.</summary>
    public async Task CancelAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, string scope, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (await ConfirmationStore.CancelAsync(connection, transaction, kind, scope, at, cancellationToken))
        {
            logger.ConfirmationCancelled(scope);
        }
    }

    /// <summary>
    /// Asks for the measurements of a round that just started (after its transaction committed). A failure is logged and
    /// the round waits for the probes' scheduled runs against the confirmation server instead.
    /// </summary>
    public async Task RequestAsync(long roundId, ConfirmationRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var asked = await requests.RequestAsync(request, cancellationToken);
            await store.SetCommandsAsync(roundId, asked, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.ConfirmationRequestFailed(request.ScopeKey, request.ServerId, ex);
        }
    }
}

/// <summary>Log lines of confirmation rounds (event ids 4720–4729).</summary>
internal static partial class ConfirmationLog
{
    [LoggerMessage(4720, LogLevel.Information, "Area {Scope} is below its target: confirming against {ServerId} before the alert opens (at the latest {Deadline:u})")]
    public static partial void ConfirmationStarted(this ILogger logger, string scope, string serverId, DateTimeOffset deadline);

    [LoggerMessage(4721, LogLevel.Information, "Confirmation of {Scope} against {ServerId}: {Results} results, value {Value}, meets the target: {Met}")]
    public static partial void ConfirmationFinished(this ILogger logger, string scope, string serverId, int results, double? value, bool? met);

    [LoggerMessage(4722, LogLevel.Information, "Confirmation of {Scope} cancelled: the area is no longer below its target")]
    public static partial void ConfirmationCancelled(this ILogger logger, string scope);

    [LoggerMessage(4723, LogLevel.Warning, "Could not ask the probes of {Scope} to measure against {ServerId}; the round waits for their scheduled runs")]
    public static partial void ConfirmationRequestFailed(this ILogger logger, string scope, string serverId, Exception exception);
}
