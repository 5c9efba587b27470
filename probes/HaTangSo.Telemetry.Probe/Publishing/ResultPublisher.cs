using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Probe.Configuration;
using HaTangSo.Telemetry.Probe.Diagnostics;
using HaTangSo.Telemetry.Probe.Queue;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Exceptions;
using Polly;
using Polly.Retry;

namespace HaTangSo.Telemetry.Probe.Publishing;

/// <summary>
/// Drains the durable queue to the broker: QoS 1, a result leaves the queue only after a PUBACK with reason
/// Success (MQTT 5, 3.4.2.1: "No matching subscribers" means the broker dropped it, so it stays queued).
/// Reconnects with backoff for as long as it takes (a Polly pipeline), and keeps the retained status message fresh.
/// </summary>
internal sealed class ResultPublisher(
    ProbeConfig config, ResultQueue queue, ProbeStatus status, ILogger logger, TimeProvider time,
    Fleet.ActiveConfig? active = null, Fleet.CommandInbox? commands = null) : IDisposable
{
    /// <summary>Results published at once (each awaits its own PUBACK), so a slow link still drains quickly.</summary>
    private const int Window = 32;

    private static readonly TimeSpan s_refusedPause = TimeSpan.FromSeconds(10);

    /// <summary>A session shorter than this that the broker ends counts as a failed attempt (a kicked or flapping login).</summary>
    private static readonly TimeSpan s_stableSession = TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly string _probeId = config.ProbeId!;
    private readonly BrokerConfig _broker = config.Broker!;

    /// <summary>Tells the publisher a result was queued.</summary>
    public void Notify()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>Runs until cancelled; on the way out says "offline" itself (a clean disconnect sends no will).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            Receive(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload);
            return Task.CompletedTask;
        };
        var reconnect = ReconnectPipeline(client);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // One run of the pipeline per session: a session that ended after a while starts a fresh run (the first
                // attempt at once, the backoff from its start); one the broker dropped at once counts as a failed attempt.
                await reconnect.ExecuteAsync(async ct => await SessionAsync(client, ct), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        if (client.IsConnected)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await PublishStatusAsync(client, ProbeState.Offline, timeout.Token);
            }
            catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException)
            {
                // The will still covers it when the broker notices the connection is gone.
            }

            await DisconnectQuietlyAsync(client);
        }
    }

    /// <summary>
    /// The broker's reconnect policy (Polly, AOT-safe): exponential backoff from 1 s to 2 minutes with jitter on the
    /// probe's clock. Every failure is retried — nobody is at a commune office to restart the probe, and a refused
    /// login is fixed by re-enrolling (the password file is read again on every attempt) — but one that is not a
    /// network or broker condition (<see cref="BrokerErrors"/>) is logged as an error.
    /// </summary>
    private ResiliencePipeline ReconnectPipeline(IMqttClient client) => new ResiliencePipelineBuilder { TimeProvider = time }
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null and not OperationCanceledException
                || (args.Outcome.Exception is OperationCanceledException && !args.Context.CancellationToken.IsCancellationRequested)),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromMinutes(2),
            MaxRetryAttempts = int.MaxValue,
            OnRetry = async args =>
            {
                var error = args.Outcome.Exception!;
                status.Error("broker: " + error.Message);
                if (BrokerErrors.IsTransient(error, args.Context.CancellationToken))
                {
                    logger.ConnectFailed(_broker.Host!, _broker.Port, error.Message, args.RetryDelay);
                }
                else
                {
                    logger.Unexpected(error, "publisher");
                }

                await DisconnectQuietlyAsync(client);
            },
        })
        .Build();

    private async Task SessionAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        MqttClientConnectResult connected;
        try
        {
            connected = await client.ConnectAsync(MqttConnection.Options(_probeId, _broker, time.GetUtcNow()), cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            // MQTTnet refuses a CONNECT while the last connection is still being torn down.
            throw new MqttCommunicationException(ex.Message, ex);
        }

        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new BrokerRefusedException("login refused: " + connected.ResultCode);
        }

        var since = time.GetTimestamp();
        logger.Connected(_broker.Host!, _broker.Port, connected.IsSessionPresent, queue.Depth);
        await SubscribeAsync(client, cancellationToken);
        await PublishStatusAsync(client, ProbeState.Online, cancellationToken);
        await DrainWhileConnectedAsync(client, cancellationToken);
        if (time.GetElapsedTime(since) < s_stableSession)
        {
            throw new MqttCommunicationException("the broker closed the connection " + time.GetElapsedTime(since).TotalSeconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " s after it opened");
        }

        logger.Disconnected("connection lost");
        status.Error("broker: connection lost");
        await DisconnectQuietlyAsync(client);
    }

    private async Task DrainWhileConnectedAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        var statusInterval = TimeSpan.FromSeconds(_broker.StatusIntervalSeconds);
        var nextStatus = time.GetUtcNow() + statusInterval;
        while (client.IsConnected)
        {
            await PublishAcksAsync(client, cancellationToken);
            var batch = queue.NextBatch(Window);
            if (batch.Count > 0)
            {
                var refused = await PublishBatchAsync(client, batch, cancellationToken);
                if (refused)
                {
                    await Task.Delay(s_refusedPause, time, cancellationToken);
                }

                continue;
            }

            if (time.GetUtcNow() >= nextStatus || status.TakeChanged())
            {
                await PublishStatusAsync(client, ProbeState.Online, cancellationToken);
                nextStatus = time.GetUtcNow() + statusInterval;
            }

            // Wait for a new result, the next status refresh, or a periodic look at the connection.
            var wait = TimeSpan.FromTicks(Math.Min((nextStatus - time.GetUtcNow()).Ticks, TimeSpan.FromSeconds(5).Ticks));
            if (wait > TimeSpan.Zero)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(wait);
                try
                {
                    await _wake.WaitAsync(timeout.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
            }
        }
    }

    /// <summary>Publishes a batch concurrently; true when the broker refused any of it.</summary>
    private async Task<bool> PublishBatchAsync(IMqttClient client, IReadOnlyList<QueuedResult> batch, CancellationToken cancellationToken)
    {
        var topic = Topics.Results(_probeId);
        var outcomes = await Task.WhenAll(batch.Select(async item =>
        {
            var result = await client.PublishAsync(MqttConnection.Message(topic, item.Payload), cancellationToken);
            if (result.ReasonCode == MqttClientPublishReasonCode.Success)
            {
                queue.Remove(item.Sequence);
                return true;
            }

            logger.PublishRefused(item.ResultId, result.ReasonString ?? result.ReasonCode.ToString());
            return false;
        }));
        var published = outcomes.Count(ok => ok);
        if (published > 0)
        {
            logger.Published(published, queue.Depth);
        }

        return published < batch.Count;
    }

    /// <summary>
    /// Subscribes to the probe's own configuration (retained: the current one arrives at once) on every new connection;
    /// the broker role allows exactly these topics. A refusal (a probe enrolled before issue 15 on a server not yet
    /// upgraded) is logged and the probe carries on with the configuration it has.
    /// </summary>
    private async Task SubscribeAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        if (active is null)
        {
            return;
        }

        var options = new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(Topics.Config(_probeId), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(Topics.Commands(_probeId), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        var answer = await client.SubscribeAsync(options, cancellationToken);
        foreach (var item in answer.Items.Where(i => (int)i.ResultCode > 2))
        {
            logger.SubscriptionRefused(item.TopicFilter.Topic, item.ResultCode.ToString());
        }
    }

    /// <summary>A message from the server: a configuration to offer (an empty retained message is a deletion: ignored), or a command.</summary>
    private void Receive(string topic, System.Buffers.ReadOnlySequence<byte> payload)
    {
        if (commands is not null && topic == Topics.Commands(_probeId))
        {
            commands.Offer(payload.Length > 4096 ? new byte[4097] : System.Buffers.BuffersExtensions.ToArray(payload));
            Notify();
            return;
        }

        if (active is not null && topic == Topics.Config(_probeId) && !payload.IsEmpty)
        {
            var outcome = active.Offer(payload.Length > Fleet.ActiveConfig.MaxBytes ? new byte[Fleet.ActiveConfig.MaxBytes + 1] : System.Buffers.BuffersExtensions.ToArray(payload));
            if (outcome != Fleet.ConfigOutcome.Unchanged)
            {
                status.MarkChanged();
                Notify();
            }
        }
    }

    /// <summary>Command acknowledgements (QoS 1, not retained); one the broker does not take waits for the next round.</summary>
    private async Task PublishAcksAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        while (commands is not null && commands.TryTakeAck(out var ack))
        {
            var payload = JsonSerializer.SerializeToUtf8Bytes(ack, ContractsJsonContext.Default.CommandAck);
            MqttClientPublishResult answer;
            try
            {
                answer = await client.PublishAsync(MqttConnection.Message(Topics.Acks(_probeId), payload), cancellationToken);
            }
            catch
            {
                // The connection went: the acknowledgement waits for the next session instead of being lost.
                commands.Requeue(ack);
                throw;
            }

            if (answer.ReasonCode is not (MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers))
            {
                commands.Requeue(ack);
                return;
            }

            commands.Published();
        }
    }

    private async Task PublishStatusAsync(IMqttClient client, string state, CancellationToken cancellationToken)
    {
        var message = status.ToMessage(state, time.GetUtcNow(), queue.Depth, queue.Evicted);
        var payload = JsonSerializer.SerializeToUtf8Bytes(message, ContractsJsonContext.Default.StatusMessage);
        await client.PublishAsync(MqttConnection.Message(Topics.Status(_probeId), payload, retain: true), cancellationToken);
    }

    public void Dispose() => _wake.Dispose();

    private static async Task DisconnectQuietlyAsync(IMqttClient client)
    {
        try
        {
            if (client.IsConnected)
            {
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException)
        {
        }
    }
}

/// <summary>The broker answered the CONNECT with a refusal (bad credentials, not authorised).</summary>
internal sealed class BrokerRefusedException(string message) : Exception(message);

/// <summary>The probe's one answer to "is this a network or broker condition?" (the rest are logged as errors).</summary>
internal static class BrokerErrors
{
    /// <summary>True for a lost or refused connection, a timeout, a socket error; a cancellation of <paramref name="cancellationToken"/> never is.</summary>
    public static bool IsTransient(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        MqttCommunicationException or BrokerRefusedException or System.Net.Sockets.SocketException or TimeoutException => true,
        IOException io => io.InnerException is System.Net.Sockets.SocketException,
        _ => false,
    };
}
