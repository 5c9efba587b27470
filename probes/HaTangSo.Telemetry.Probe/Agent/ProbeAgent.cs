using System.Net;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Probe.Configuration;
using HaTangSo.Telemetry.Probe.Diagnostics;
using HaTangSo.Telemetry.Probe.Measurement;
using HaTangSo.Telemetry.Probe.Publishing;
using HaTangSo.Telemetry.Probe.Queue;
using HaTangSo.Telemetry.Probe.Radio;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Agent;

/// <summary>
/// The scheduled part of the probe: tests each link on its schedule, one link at a time (two tests at once
/// would share the box's CPU and the server's bandwidth), skips a busy link, and commits every result to the
/// durable queue before the publisher sees it.
/// </summary>
internal sealed class ProbeAgent(
    ProbeConfig config, ResultQueue queue, ResultPublisher publisher, ProbeStatus status,
    LinkActivity activity, ILogger logger, TimeProvider time, RadioReader? radio = null)
{
    private static readonly TimeSpan s_busyWindow = TimeSpan.FromSeconds(1);
    private readonly LinkMeasurer _measurer = new(config.ToSettings(), time);
    private readonly Uri _server = new(config.Server!.Url!);

    /// <summary>The server id written in results: configured, or the URL's host.</summary>
    public string ServerId => config.Server!.Id ?? _server.Host;

    /// <summary>Runs the schedule until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var links = config.Links!;
        var schedule = new Schedule(links.Count, TimeSpan.FromMinutes(config.ScheduleMinutes), time.GetUtcNow(), Random.Shared);
        while (!cancellationToken.IsCancellationRequested)
        {
            var (index, at) = schedule.Next();
            var wait = at - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken);
            }

            try
            {
                var result = await TestLinkAsync(links[index], cancellationToken);
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
    }

    /// <summary>Tests one link now: skipped when busy, otherwise measured.</summary>
    public async Task<ResultMessage> TestLinkAsync(LinkConfig link, CancellationToken cancellationToken)
    {
        var info = link.ToLinkInfo();
        var source = link.Bind is null ? null : IPAddress.Parse(link.Bind);
        var networkInterface = link.Interface ?? (source is null ? null : LinkActivity.InterfaceOf(source));
        if (config.BusyThresholdMbps > 0 && networkInterface is not null)
        {
            var mbps = await activity.MbpsAsync(networkInterface, s_busyWindow, cancellationToken);
            if (mbps > config.BusyThresholdMbps)
            {
                var reason = FormattableString.Invariant($"link busy: {mbps:0.0} Mb/s of other traffic on {networkInterface} (threshold {config.BusyThresholdMbps:0.0} Mb/s)");
                logger.Skipped(info.Name, reason);
                return ResultFactory.Skipped(config.ProbeId!, info, ServerId, time.GetUtcNow(), reason);
            }
        }

        // The radio just before and just after the test: a 5G modem that fell back to LTE on the way is caught.
        var modem = info.Access == AccessKind.Mobile ? link.Modem : null;
        var before = modem is null || radio is null ? null : await radio.ReadAsync(modem, info.Name, cancellationToken);
        var outcome = await _measurer.MeasureAsync(_server, source, progress: null, cancellationToken);
        var after = modem is null || radio is null ? null : await radio.ReadAsync(modem, info.Name, cancellationToken);
        foreach (var error in outcome.Errors)
        {
            logger.MeasurementError(info.Name, error);
        }

        logger.Measured(info.Name, outcome.Status, outcome.DownloadMbps, outcome.UploadMbps, outcome.LatencyMs);
        return ResultFactory.FromOutcome(config.ProbeId!, info, ServerId, outcome) with { Radio = RadioFacts.Combine(before, after) };
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
