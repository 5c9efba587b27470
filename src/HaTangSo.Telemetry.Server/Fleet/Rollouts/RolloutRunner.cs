using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Contracts.Releases;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Fleet.Rollouts;

/// <summary>
/// Advances the running roll-outs every <see cref="FleetOptions.RolloutInterval"/> (and at once after an API change): the
/// first wave's commands when a roll-out starts; then, per round, the verdict on the current wave — wait, halt (the
/// threshold is passed), or issue the next wave (or complete). Commands go through the one command channel
/// (<see cref="CommandStore"/> and <see cref="ConfigPublisher"/>). With several server instances one round runs at a
/// time (a PostgreSQL advisory lock), so a wave is never issued twice; every step is also guarded in the database.
/// </summary>
internal sealed class RolloutRunner(
    NpgsqlDataSource dataSource, RolloutStore rollouts, RolloutProbeStore probes, CommandStore commands, ConfigPublisher publisher,
    IOptions<FleetOptions> options, TimeProvider time, ILogger<RolloutRunner> logger) : BackgroundService
{
    // pg_try_advisory_lock key: "HTS rollout" as an integer, so no other lock of this database collides by accident.
    private const long LockKey = 0x4854_5352_4F4C_4C;
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Runs a round now (after an API change).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // PostgreSQL away or a defect: nothing was half-decided (each step is guarded); try again next round.
                logger.RoundFailed(ex);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(options.Value.RolloutInterval);
            try
            {
                await _wake.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The interval passed.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>One round over every running roll-out (public for tests).</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_try_advisory_lock({LockKey})", connection))
        {
            if (await take.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return;
            }
        }

        try
        {
            foreach (var rollout in await rollouts.ActiveAsync(cancellationToken))
            {
                if (rollout.State != RolloutStates.Running)
                {
                    continue;
                }

                try
                {
                    await AdvanceAsync(rollout, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    logger.RolloutFailed(rollout.RolloutId, ex);
                }
            }
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockKey})", connection);
            await release.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    private async Task AdvanceAsync(RolloutRecord rollout, CancellationToken cancellationToken)
    {
        var plan = await probes.ListAsync(rollout.RolloutId, cancellationToken);
        var target = ReleaseVersion.Parse(rollout.Version);
        var now = time.GetUtcNow();
        var current = rollout.CurrentWave;
        if (current >= 0)
        {
            var outcomes = plan.Where(p => p.Wave == current).Select(p => RolloutDecision.Classify(p, target, now, rollout.ReportWithin).Outcome).ToArray();
            var (verdict, reason) = rollout.AcceptedWave >= current ? (WaveVerdict.Advance, null) : RolloutDecision.Judge(current, outcomes, rollout.Threshold);
            if (verdict == WaveVerdict.Wait)
            {
                return;
            }

            if (verdict == WaveVerdict.Halt)
            {
                if (await rollouts.MoveAsync(rollout.RolloutId, [RolloutStates.Running], RolloutStates.Halted, reason, now, cancellationToken))
                {
                    logger.RolloutHalted(rollout.RolloutId, reason!);
                }

                return;
            }

            if (current == rollout.WaveSizes.Count - 1)
            {
                if (await rollouts.MoveAsync(rollout.RolloutId, [RolloutStates.Running], RolloutStates.Completed, null, now, cancellationToken))
                {
                    logger.RolloutCompleted(rollout.RolloutId, rollout.Version);
                }

                return;
            }
        }

        await IssueAsync(rollout, current + 1, plan.Where(p => p.Wave == current + 1).ToArray(), target, now, cancellationToken);
    }

    private async Task IssueAsync(RolloutRecord rollout, int wave, IReadOnlyList<RolloutProbe> members, ReleaseVersion target, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // A command lives as long as the probe has to report (the broker holds it for an offline probe's session until
        // then), within the command channel's longest validity.
        var expiry = rollout.ReportWithin < TimeSpan.FromDays(1) ? rollout.ReportWithin : TimeSpan.FromDays(1);
        int issued = 0, current = 0;
        foreach (var probe in members.Where(p => p.IssuedAt is null))
        {
            if (ReleaseVersion.TryParse(probe.AgentVersion, allowBuildMetadata: true, out var running) && running >= target)
            {
                current += await probes.MarkIssuedAsync(rollout.RolloutId, probe.ProbeId, null, probe.AgentVersion, now, cancellationToken) ? 1 : 0;
                continue;
            }

            var command = new CommandRecord(
                Guid.CreateVersion7(now), probe.ProbeId, CommandKinds.Upgrade, null, CommandStates.Queued, null, [], 1, now, now + expiry,
                null, null, null, Version: rollout.Version);
            await commands.AddAsync(command, cancellationToken);
            await probes.MarkIssuedAsync(rollout.RolloutId, probe.ProbeId, command.CommandId, null, now, cancellationToken);
            issued++;
        }

        if (await rollouts.AdvanceAsync(rollout.RolloutId, wave, now, cancellationToken))
        {
            logger.WaveStarted(rollout.RolloutId, wave + 1, issued, current);
        }

        if (issued > 0)
        {
            publisher.Wake();
        }

        // A wave with nobody to upgrade is judged on the next round; wake it rather than wait an interval.
        if (issued == 0)
        {
            Wake();
        }
    }
}
