using System.Net;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Probe.Configuration;
using HaTangSo.Telemetry.Probe.Diagnostics;
using HaTangSo.Telemetry.Probe.Fleet;
using HaTangSo.Telemetry.Probe.Measurement;
using HaTangSo.Telemetry.Probe.Publishing;
using HaTangSo.Telemetry.Probe.Queue;
using HaTangSo.Telemetry.Probe.Radio;
using HaTangSo.Telemetry.Probe.Upgrade;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Agent;

/// <summary>
/// The scheduled part of the probe: tests each link on its schedule, one link at a time (two tests at once
/// would share the box's CPU and the server's bandwidth), skips a busy link, and commits every result to the
/// durable queue before the publisher sees it. The schedule and test parameters come from <see cref="ActiveConfig"/>:
/// when a new configuration is applied the wait is cut short and the schedule rebuilt, without a restart.
/// </summary>
internal sealed class ProbeAgent(
    ProbeConfig config, ActiveConfig active, CommandInbox commands, ResultQueue queue, ResultPublisher publisher, ProbeStatus status,
    LinkActivity activity, ILogger logger, TimeProvider time, RadioReader? radio = null, CommandedUpgrade? upgrade = null)
{
    private static readonly TimeSpan s_busyWindow = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs the schedule until cancelled, or until an <c>upgrade</c> command installed a release: then it returns true and
    /// the caller exits so systemd restarts the service into the new version's trial.
    /// </summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        var links = config.Links!;
        MeasurementPlan? plan = null;
        Schedule? schedule = null;
        var runs = new long[links.Count]; // per link, for the servers' turns
        while (!cancellationToken.IsCancellationRequested)
        {
            var changed = active.Changed;
            var current = active.Plan;
            while (commands.TryTake(out var command))
            {
                if (command.Kind == CommandKind.Upgrade)
                {
                    if (await RunUpgradeAsync(command, cancellationToken))
                    {
                        return true;
                    }

                    continue;
                }

                await RunCommandAsync(command, current, cancellationToken);
            }

            var interrupt = Task.WhenAny(changed, commands.Available);
            if (current is null)
            {
                logger.WaitingForConfig(config.ProbeId!);
                await interrupt.WaitAsync(cancellationToken);
                continue;
            }

            if (!ReferenceEquals(current, plan))
            {
                // A new configuration: a new schedule from now (its offsets drawn again when it randomises them).
                plan = current;
                schedule = new Schedule(links.Count, plan.Schedule, time.GetUtcNow(), plan.RandomizeOffset ? Random.Shared : null);
            }

            var (index, at) = schedule!.Next();
            var wait = at - time.GetUtcNow();
            if (wait > TimeSpan.Zero && !await WaitAsync(wait, interrupt, cancellationToken))
            {
                continue;
            }

            try
            {
                var result = await TestLinkAsync(links[index], plan.ForRun(runs[index]++), cancellationToken);
                Enqueue(result);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A bug in one test must not end the schedule; the next slot tries again.
                logger.Unexpected(ex, "link test");
                status.Error($"link {links[index].Name}: {ex.Message}");
            }

            schedule.Done(index, time.GetUtcNow());
        }

        return false;
    }

    /// <summary>
    /// Runs an <c>upgrade</c> command between two tests (a swap never happens under a running measurement); true when the
    /// release is installed and the process must restart into its trial.
    /// </summary>
    private async Task<bool> RunUpgradeAsync(AcceptedCommand command, CancellationToken cancellationToken)
    {
        var outcome = command.ExpiresAt <= time.GetUtcNow()
            ? new CommandedUpgradeOutcome(CommandStates.Expired, "expired before the probe was free to run it", false)
            : upgrade is null
                ? new CommandedUpgradeOutcome(CommandStates.Refused, "this probe runs without upgrades", false)
                : await upgrade.RunAsync(command, cancellationToken);
        commands.Acknowledge(command.CommandId, outcome.State, outcome.Reason);
        publisher.Notify();
        status.MarkChanged();
        return outcome.RestartRequired;
    }

    /// <summary>
    /// Runs a measure-now command between two scheduled tests — never beside one, so it cannot overlap a running test of
    /// the same link — with the configuration in force; its results carry the command id.
    /// </summary>
    private async Task RunCommandAsync(AcceptedCommand command, MeasurementPlan? plan, CancellationToken cancellationToken)
    {
        if (command.ExpiresAt <= time.GetUtcNow())
        {
            commands.Acknowledge(command.CommandId, CommandStates.Expired, "expired before the probe was free to run it");
            publisher.Notify();
            return;
        }

        if (plan is null)
        {
            commands.Acknowledge(command.CommandId, CommandStates.Failed, "no measurement configuration names a server yet");
            publisher.Notify();
            return;
        }

        if (plan.ForServer(command.Server) is not { } commanded)
        {
            var named = command.Server!.Length > 64 ? command.Server[..64] : command.Server;
            commands.Acknowledge(command.CommandId, CommandStates.Refused,
                $"server '{named}' is not in this probe's configuration ({string.Join(", ", [plan.ServerId, .. plan.OtherServers.Select(s => s.Id)])})");
            publisher.Notify();
            return;
        }

        foreach (var link in config.Links!.Where(l => command.Link is null || l.Name == command.Link))
        {
            try
            {
                var result = await TestLinkAsync(link, commanded, cancellationToken);
                Enqueue(result with { CommandId = command.CommandId });
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.Unexpected(ex, "command " + command.CommandId);
                commands.Acknowledge(command.CommandId, CommandStates.Failed, $"link {link.Name}: {ex.Message}");
                publisher.Notify();
            }
        }
    }

    /// <summary>Waits for <paramref name="wait"/>; false when <paramref name="interrupt"/> completed first.</summary>
    private async Task<bool> WaitAsync(TimeSpan wait, Task interrupt, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(wait, time, cancel.Token);
        var first = await Task.WhenAny(delay, interrupt);
        await cancel.CancelAsync();
        await delay.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
        return first == delay;
    }

    /// <summary>Tests one link now with <paramref name="plan"/>: skipped when busy, otherwise measured.</summary>
    public async Task<ResultMessage> TestLinkAsync(LinkConfig link, MeasurementPlan plan, CancellationToken cancellationToken)
    {
        var info = link.ToLinkInfo();
        var source = link.Bind is null ? null : IPAddress.Parse(link.Bind);
        var networkInterface = link.Interface ?? (source is null ? null : LinkActivity.InterfaceOf(source));
        if (plan.BusyThresholdMbps > 0 && networkInterface is not null)
        {
            var mbps = await activity.MbpsAsync(networkInterface, s_busyWindow, cancellationToken);
            if (mbps > plan.BusyThresholdMbps)
            {
                var reason = FormattableString.Invariant($"link busy: {mbps:0.0} Mb/s of other traffic on {networkInterface} (threshold {plan.BusyThresholdMbps:0.0} Mb/s)");
                logger.Skipped(info.Name, reason);
                return ResultFactory.Skipped(config.ProbeId!, info, plan.ServerId, time.GetUtcNow(), reason);
            }
        }

        // The radio just before and just after the test: a 5G modem that fell back to LTE on the way is caught.
        var modem = info.Access == AccessKind.Mobile ? link.Modem : null;
        var before = modem is null || radio is null ? null : await radio.ReadAsync(modem, info.Name, cancellationToken);
        var outcome = await new LinkMeasurer(plan.Settings, time).MeasureAsync(plan.Server, source, progress: null, cancellationToken);
        var after = modem is null || radio is null ? null : await radio.ReadAsync(modem, info.Name, cancellationToken);
        foreach (var error in outcome.Errors)
        {
            logger.MeasurementError(info.Name, error);
        }

        logger.Measured(info.Name, outcome.Status, outcome.DownloadMbps, outcome.UploadMbps, outcome.LatencyMs);
        return ResultFactory.FromOutcome(config.ProbeId!, info, plan.ServerId, outcome) with { Radio = RadioFacts.Combine(before, after) };
    }

    /// <summary>Commits the result to the queue (the point after which it survives anything) and wakes the publisher.</summary>
    public void Enqueue(ResultMessage result)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(result, ContractsJsonContext.Default.ResultMessage);
        var evicted = queue.Enqueue(result.ResultId, payload);
        if (evicted > 0)
        {
            logger.Evicted(evicted, queue.Evicted);
            status.Error($"queue full: {queue.Evicted} oldest result(s) evicted so far");
        }

        status.ResultProduced(result.StartedAt, result.Error);
        publisher.Notify();
    }
}
