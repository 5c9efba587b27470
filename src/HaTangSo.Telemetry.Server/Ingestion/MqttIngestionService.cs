using System.Buffers;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Diagnostics;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Holds the server's persistent MQTT session: a fixed client id, clean start off and a session expiry, so
/// the broker keeps every unacknowledged result while we are away; the shared subscription from the
/// contract; and its own reconnect loop (MQTTnet 5 has no managed client). Messages are handed to the
/// <see cref="IngestionQueue"/> with auto-acknowledge off: the PUBACK waits until the result is durable.
/// </summary>
internal sealed class MqttIngestionService(
    IngestionQueue queue,
    MqttConnectionState state,
    IngestionMetrics metrics,
    TimeProvider timeProvider,
    IOptions<MqttOptions> options,
    ILogger<MqttIngestionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var client = new MqttClientFactory().CreateMqttClient();
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = false;
            var generation = state.Generation;
            var args = e;
            queue.Enqueue(new ReceivedMessage(
                e.ApplicationMessage.Topic,
                e.ApplicationMessage.Payload.ToArray(),
                timeProvider.GetUtcNow(),
                generation,
                ct => args.AcknowledgeAsync(ct)));
            metrics.Received(e.ApplicationMessage.Topic.EndsWith("/status", StringComparison.Ordinal));
            return Task.CompletedTask;
        };
        client.DisconnectedAsync += e =>
        {
            state.SetDisconnected();
            if (e.ClientWasConnected)
            {
                logger.MqttDisconnected(e.Reason.ToString(), e.Exception?.Message);
            }

            disconnected.TrySetResult();
            return Task.CompletedTask;
        };

        var delay = settings.ReconnectInitialDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                // A new generation before CONNECT: messages of this connection carry it, older ones cannot be acknowledged on it.
                state.NextGeneration();
                var result = await client.ConnectAsync(BuildOptions(settings), stoppingToken);
                if (result.ResultCode != MqttClientConnectResultCode.Success)
                {
                    throw new MqttConnectFailedException(result.ResultCode.ToString());
                }

                // Subscribing again on a present session is harmless and repairs a session the broker lost.
                var subscribe = new MqttClientSubscribeOptionsBuilder()
                    .WithTopicFilter(Topics.ResultsSharedSubscription, MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithTopicFilter(Topics.StatusSubscription, MqttQualityOfServiceLevel.AtLeastOnce)
                    .Build();
                var subscribed = await client.SubscribeAsync(subscribe, stoppingToken);
                foreach (var item in subscribed.Items.Where(i => (int)i.ResultCode > 2))
                {
                    logger.MqttSubscriptionRefused(item.TopicFilter.Topic, item.ResultCode.ToString());
                }

                state.SetConnected();
                logger.MqttConnected(settings.Host, settings.Port, result.IsSessionPresent);
                delay = settings.ReconnectInitialDelay;
                await disconnected.Task.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or MqttConnectFailedException or System.Net.Sockets.SocketException or OperationCanceledException or InvalidOperationException)
            {
                state.SetDisconnected();
                logger.MqttConnectFailed(settings.Host, settings.Port, delay, ex.Message);
                await Task.Delay(Jitter(delay), timeProvider, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.ReconnectMaxDelay.Ticks));
            }
            catch (Exception ex)
            {
                // Anything else (a TLS failure, a protocol error): never end the host, reconnect after the backoff.
                state.SetDisconnected();
                logger.MqttLoopFailed(ex, delay);
                await Task.Delay(Jitter(delay), timeProvider, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.ReconnectMaxDelay.Ticks));
            }
        }

        if (client.IsConnected)
        {
            // A normal DISCONNECT keeps the session (and its unacknowledged results) on the broker.
            await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), CancellationToken.None);
        }

        state.SetDisconnected();
    }

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

    private static TimeSpan Jitter(TimeSpan delay) =>
        delay * (0.8 + (Random.Shared.NextDouble() * 0.4));

    private sealed class MqttConnectFailedException(string reason) : Exception("CONNACK: " + reason);
}
