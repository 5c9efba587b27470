using System.CommandLine;
using HaTangSo.Telemetry.Probe.Agent;
using HaTangSo.Telemetry.Probe.Configuration;
using HaTangSo.Telemetry.Probe.Diagnostics;
using HaTangSo.Telemetry.Probe.Fleet;
using HaTangSo.Telemetry.Probe.Measurement;
using HaTangSo.Telemetry.Probe.Publishing;
using HaTangSo.Telemetry.Probe.Queue;
using HaTangSo.Telemetry.Probe.Radio;
using HaTangSo.Telemetry.Probe.Upgrade;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Cli;

/// <summary><c>run</c>: the service (systemd starts this): measure on schedule, queue durably, publish.</summary>
internal static class RunCommand
{
    /// <summary>
    /// The exit code after an upgrade command installed a release: a clean exit, which systemd's <c>Restart=always</c>
    /// turns into a restart through the trial (<c>ExecStartPre</c>).
    /// </summary>
    public const int RestartForUpgrade = 0;

    /// <summary>How long the old process waits for the broker to take the upgrade's acknowledgement before it exits anyway.</summary>
    private static readonly TimeSpan s_ackWait = TimeSpan.FromSeconds(30);

    public static Option<string> ConfigOption() => new("--config", "-c")
    {
        Description = "Configuration file",
        DefaultValueFactory = _ => "/etc/hts-probe/probe.json",
    };

    public static Command Create()
    {
        var config = ConfigOption();
        var publishOnly = new Option<bool>("--publish-only") { Description = "Do not measure: only deliver the queued results (e.g. to flush a backlog)" };
        var command = new Command("run", "Run the probe: measure every link on schedule and publish the results") { config, publishOnly };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = ProbeConfigLoader.Load(parse.GetValue(config)!);
            using var loggers = Logging.CreateFactory();
            var logger = loggers.CreateLogger("HaTangSo.Telemetry.Probe");
            var time = TimeProvider.System;
            using var queue = ResultQueue.Open(settings.QueuePath, settings.QueueCapacity);
            var directory = Path.GetDirectoryName(Path.GetFullPath(settings.QueuePath));
            var active = new ActiveConfig(settings.ProbeId!, MeasurementPlan.FromLocal(settings), directory, logger);
            var commands = new CommandInbox(settings.ProbeId!, settings.Links!.Select(l => l.Name!), directory, time, logger);
            var status = new ProbeStatus(settings.ProbeId!, [.. settings.Links!.Select(l => l.ToLinkInfo())])
            {
                Config = active,
                UpgradeStateDirectory = settings.Upgrade?.StateDirectory,
            };
            using var publisher = new ResultPublisher(settings, queue, status, logger, time, active, commands);
            var agent = new ProbeAgent(settings, active, commands, queue, publisher, status, new LinkActivity(time), logger, time,
                new RadioReader(new ProcessRunner(), logger, RadioReader.DefaultTimeout), new CommandedUpgrade(settings, logger, time));
            logger.Started(settings.ProbeId!, ResultFactory.AgentVersion, settings.Links!.Count, (int)(active.Plan?.Schedule.TotalMinutes ?? 0), queue.Depth, queue.Evicted);
            UpgradeReport.LogLast(logger, settings);

            using var stopPublishing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var publishing = publisher.RunAsync(stopPublishing.Token);
            if (!parse.GetValue(publishOnly))
            {
                try
                {
                    if (await agent.RunAsync(cancellationToken))
                    {
                        // Installed: tell the server (done) from this process, then exit; Restart=always starts the service
                        // again and its ExecStartPre runs the new version's trial. A broker that is away costs the ack only.
                        var told = await commands.WaitForAcksPublishedAsync(s_ackWait, cancellationToken);
                        logger.RestartingForUpgrade(told);
                        await stopPublishing.CancelAsync();
                        await publishing;
                        return RestartForUpgrade;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                }
            }

            await publishing;
            return 0;
        });
        return command;
    }
}
