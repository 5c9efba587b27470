using System.Buffers;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Diagnostics;
using HaTangSo.Telemetry.Server.Resilience;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using Polly.Registry;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Holds the server's persistent MQTT session: a fixed client id, clean start off and a session expiry, so
/// the broker keeps every unacknowledged result while we are away; the shared subscription from the
/// contract; and its own reconnect loop (MQTTnet 5 has no managed client), retrying through the broker pipeline. Messages are handed to the
/// <see cref="IngestionQueue"/> with auto-acknowledge off: the PUBACK waits until the result is durable.
/// </summary>
internal sealed class MqttIngestionService(
    IngestionQueue queue,
    MqttConnectionState state,
    LiveLane live,
    Fleet.ServerMqttClient shared,
    Fleet.AckService acks,
    IngestionMetrics metrics,
    ResiliencePipelineProvider<Dependency> pipelines,
    TimeProvider timeProvider,
    IOptions<MqttOptions> options,
    ILogger<MqttIngestionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var client = new MqttClientFactory().CreateMqttClient(new ThrottledAdapterFactory(queue, timeProvider, state));
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ApplicationMessageReceivedAsync += async e =>
        {
            try
            {
                if (e.ApplicationMessage.Topic.EndsWith("/acks", StringComparison.Ordinal))
                {
                    // A command acknowledgement (issue 15.2): recorded on its own path, acknowledged to the broker at once.
                    acks.Post(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray());
                    return;
                }

                // Acknowledged once durable, by the pipeline (ThrottledChannel.AcknowledgeAsync), not by MQTTnet.
                e.AutoAcknowledge = false;
                var generation = state.Generation;
                var topic = e.ApplicationMessage.Topic;
                var payload = PayloadOf(e.ApplicationMessage);
                var status = topic.EndsWith("/status", StringComparison.Ordinal);
                // A copy of a result the live lane has written: acknowledged in its turn, not processed again. The first copy
                // also shows that this session has caught up with the backlog, so the live lane closes.
                var copy = !status && live.IsActive && await live.Ledger.IsCopyAsync(topic, payload, live.IsOpen, stoppingToken);
                if (copy)
                {
                    live.CaughtUp();
                }
                else
                {
                    metrics.Received(status);
                }

                // Waits while the queue is full: the client then stops reading and the broker is held back by TCP. Cancelled
                // only when the host stops; the message stays unacknowledged and the broker redelivers it.
                await queue.EnqueueAsync(
                    new ReceivedMessage(topic, payload, timeProvider.GetUtcNow(), generation, e.PacketIdentifier) { IsCopy = copy },
                    stoppingToken);
            }
            finally
            {
                // Counted from its decoding until it is queued (or dropped): the queue never looks emptier than it is.
                queue.Taken();
            }
        };

        client.DisconnectedAsync += e =>
        {
            state.SetDisconnected();
            shared.SetDisconnected();
            if (e.ClientWasConnected)
            {
                logger.MqttDisconnected(e.Reason.ToString(), e.Exception?.Message);
            }

            disconnected.TrySetResult();
            return Task.CompletedTask;
        };

        var session = $"ingestion session {settings.Host}:{settings.Port}";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Connects (retrying through the broker pipeline), then holds the session until the broker drops it.
                await pipelines.ExecuteAsync(Dependency.Broker, session, async ct =>
                {
                    disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    await ConnectAsync(client, settings, ct);
                }, stoppingToken);
                await disconnected.Task.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // What the broker pipeline does not retry (a TLS failure, a refused login, a protocol error): never end
                // the host; try again after the longest backoff.
                state.SetDisconnected();
                logger.MqttLoopFailed(ex, settings.ReconnectMaxDelay);
                await Task.Delay(settings.ReconnectMaxDelay, timeProvider, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        if (client.IsConnected)
        {
            // A normal DISCONNECT keeps the session (and its unacknowledged results) on the broker.
            await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), CancellationToken.None);
        }

        state.SetDisconnected();
    }

    private async Task ConnectAsync(IMqttClient client, MqttOptions settings, CancellationToken cancellationToken)
    {
        try
        {
            // A new generation before CONNECT: messages of this connection carry it, older ones cannot be acknowledged on it.
            state.NextGeneration();
            var result = await client.ConnectAsync(BuildOptions(settings), cancellationToken);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                // The server's own identity may still be being created (ProvisioningStartup): a refusal is retried.
                throw new BrokerUnavailableException("CONNACK: " + result.ResultCode);
            }

            // A resumed session (the broker kept it, and its subscriptions) is connected from the CONNACK on, not from the
            // SUBACK: its backlog flows right after the CONNACK, ahead of the SUBACK, and the channel reads no further than
            // the ingestion queue has room for, so the SUBACK comes only once the batch writer has worked through what the
            // broker sent before it (up to Receive Maximum messages). Connected only from the SUBACK, the pipeline skipped
            // every PUBACK until then (it acknowledges only on a connected state), leaving that part of the backlog to be
            // delivered and written again at the next reconnect, and /health reported the server disconnected for the whole
            // drain. The first batch of a resumed session's backlog opens the live lane.
            live.SessionConnected(result.IsSessionPresent);
            if (result.IsSessionPresent)
            {
                state.SetConnected();
            }

            logger.MqttConnected(settings.Host, settings.Port, result.IsSessionPresent);

            // Subscribing again on a present session is harmless and repairs a session the broker lost.
            var subscribe = new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(Topics.ResultsSharedSubscription, MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter(Topics.StatusSubscription, MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter(Topics.AcksSubscription, MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            var subscribed = await client.SubscribeAsync(subscribe, cancellationToken);
            foreach (var item in subscribed.Items.Where(i => (int)i.ResultCode > 2))
            {
                logger.MqttSubscriptionRefused(item.TopicFilter.Topic, item.ResultCode.ToString());
            }

            // A new session is connected (and /health healthy) once subscribed; the fleet's publishers in either case only
            // then, so a command's acknowledgement finds the subscription there.
            state.SetConnected();
            shared.SetConnected(client);
        }
        catch (InvalidOperationException ex)
        {
            // MQTTnet refuses a CONNECT while the previous connection is still being torn down: try again shortly.
            state.SetDisconnected();
            throw new BrokerUnavailableException(ex.Message, ex);
        }
        catch
        {
            state.SetDisconnected();
            throw;
        }
    }

    /// <summary>
    /// The message's payload without a copy: MQTTnet decodes each PUBLISH body into an array of its own (never pooled or
    /// reused), which the acknowledgement keeps alive anyway until the result is durable; a second copy per message was
    /// a third of what a message in flight held.
    /// </summary>
    internal static ReadOnlyMemory<byte> PayloadOf(MqttApplicationMessage message) =>
        message.Payload.IsSingleSegment ? message.Payload.First : message.Payload.ToArray();

    private static MqttClientOptions BuildOptions(MqttOptions settings)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(settings.Host, settings.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(settings.ClientId)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)settings.SessionExpiry.TotalSeconds)
            .WithReceiveMaximum((ushort)settings.ReceiveMaximum)
            .WithKeepAlivePeriod(settings.KeepAlive)
            .WithTimeout(TimeSpan.FromSeconds(15));
        if (!string.IsNullOrEmpty(settings.Username))
        {
            builder = builder.WithCredentials(settings.Username, settings.Password);
        }

        if (settings.UseTls)
        {
            builder = builder.WithTlsOptions(o => MqttTls.Configure(o, settings.CaCertificatePath));
        }

        return builder.Build();
    }

}
