using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.Server.Fleet;

/// <summary>
/// Puts each probe's measurement configuration on the broker, retained (QoS 1) on <c>hts/v1/probes/{id}/config</c>, so a
/// probe receives the current one whenever it subscribes. The registry is the outbox: a version above
/// <c>published_version</c> is due, and is published after an API change (<see cref="Wake"/>), on a timer, and — on
/// every new broker session — for every probe whatever its <c>published_version</c> (the reconciliation: the broker's
/// retained copy may have been lost, or changed by another instance). A revoked probe's retained copy is cleared.
/// </summary>
internal sealed class ConfigPublisher(
    FleetConfigStore store, CommandStore commands, ServerMqttClient broker, TimeProvider time, ILogger<ConfigPublisher> logger) : BackgroundService
{
    private static readonly TimeSpan s_poll = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly HashSet<(string, long)> _warned = [];

    /// <summary>Publishes what is due now (after an API change).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long reconciled = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await broker.WaitConnectedAsync(stoppingToken);
                var generation = broker.Generation;
                var all = generation != reconciled;
                if (await PublishAsync(all, stoppingToken) && all)
                {
                    reconciled = generation;
                }

                await PublishCommandsAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // PostgreSQL or the broker away, or a defect: the outbox keeps what is due; try again on the next round.
                logger.PublisherFailed(ex);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(s_poll);
            await _wake.WaitAsync(timeout.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Publishes the due configurations (or all); true when every publication went through.</summary>
    private async Task<bool> PublishAsync(bool all, CancellationToken cancellationToken)
    {
        var records = await store.ListAsync(null, dueOnly: !all, cancellationToken);
        if (records.Count == 0)
        {
            return true;
        }

        var fallback = (await store.GetDefaultAsync(cancellationToken)).Settings;
        var servers = await store.EnabledServersAsync(cancellationToken);
        int published = 0, cleared = 0, incomplete = 0;
        foreach (var record in records)
        {
            if (broker.Current is not { } client)
            {
                return false;
            }

            byte[] payload;
            if (!record.Enabled)
            {
                // An empty retained message deletes the retained copy (MQTT 5, 3.3.1.3).
                payload = [];
                cleared++;
            }
            else if (record.Overrides.Over(fallback).ToConfig(record.ProbeId, record.Version, servers) is ({ } config, _))
            {
                payload = JsonSerializer.SerializeToUtf8Bytes(config, ContractsJsonContext.Default.MeasurementConfig);
                published++;
            }
            else
            {
                incomplete++;
                if (_warned.Add((record.ProbeId, record.Version)))
                {
                    var (_, problems) = record.Overrides.Over(fallback).ToConfig(record.ProbeId, record.Version, servers);
                    logger.ConfigNotPublishable(record.ProbeId, record.Version, string.Join("; ", problems));
                }

                continue;
            }

            var message = new MqttApplicationMessageBuilder()
                .WithTopic(Topics.Config(record.ProbeId))
                .WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag(true)
                .WithContentType("application/json")
                .Build();
            var answer = await client.PublishAsync(message, cancellationToken);
            if (answer.ReasonCode is not (MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers))
            {
                logger.PublishFailed($"{Topics.Config(record.ProbeId)}: {answer.ReasonCode} {answer.ReasonString}");
                return false;
            }

            await store.MarkPublishedAsync(record.ProbeId, record.Version, cancellationToken);
            if (payload.Length > 0 && record.PublishedVersion != record.Version)
            {
                logger.ConfigPublished(record.ProbeId, record.Version);
            }
        }

        if (all)
        {
            logger.Reconciled(published, cleared, incomplete);
        }

        return true;
    }

    /// <summary>
    /// Commands not yet on the broker: QoS 1, not retained (a command is for now, not for whoever subscribes later), with
    /// the MQTT 5 message expiry interval (3.3.2.3.3) set to what is left of its validity, so a broker holding it for an
    /// offline probe drops it when it expires.
    /// </summary>
    private async Task PublishCommandsAsync(CancellationToken cancellationToken)
    {
        foreach (var command in await commands.UnpublishedAsync(cancellationToken))
        {
            var left = command.ExpiresAt - time.GetUtcNow();
            if (left < TimeSpan.FromSeconds(1) || broker.Current is not { } client)
            {
                continue;
            }

            var payload = JsonSerializer.SerializeToUtf8Bytes(new CommandMessage
            {
                CommandId = command.CommandId,
                ProbeId = command.ProbeId,
                Kind = command.Kind,
                Link = command.Link,
                Server = command.ServerId,
                Version = command.Version,
                AllowDowngrade = command.AllowDowngrade ? true : null,
                IssuedAt = command.CreatedAt,
                ExpiresAt = command.ExpiresAt,
            }, ContractsJsonContext.Default.CommandMessage);
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(Topics.Commands(command.ProbeId))
                .WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithMessageExpiryInterval((uint)Math.Ceiling(left.TotalSeconds))
                .WithContentType("application/json")
                .Build();
            var answer = await client.PublishAsync(message, cancellationToken);
            if (answer.ReasonCode is not (MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers))
            {
                logger.PublishFailed($"{Topics.Commands(command.ProbeId)}: {answer.ReasonCode} {answer.ReasonString}");
                return;
            }

            await commands.MarkPublishedAsync(command.CommandId, cancellationToken);
            logger.CommandState(command.CommandId, command.ProbeId, "published");
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
