using System.Buffers;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Diagnostics;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Opens and closes the <see cref="LiveLane"/>'s connection. It opens only on a backlog: at once when a resumed persistent
/// session's first batch is full (<see cref="LiveLane.SessionBatchTaken"/>: the broker held results while the server was
/// away), and while the server runs when the persistent session has held a full batch waiting for
/// <see cref="LiveLaneOptions.OpenAfter"/> (after an InfluxDB outage, say); closed when the persistent session delivers a copy of a live
/// result (it has caught up), or holds less than a batch for <see cref="LiveLaneOptions.CloseAfter"/>. The lane never
/// stops ingestion: a refused login or an unreachable broker is logged and the persistent session carries on alone.
/// </summary>
internal sealed class LiveLaneService(
    LiveLane lane,
    IngestionQueue sessionQueue,
    IngestionMetrics metrics,
    TimeProvider timeProvider,
    IOptions<MqttOptions> options,
    IOptions<IngestionOptions> ingestion,
    ILogger<LiveLaneService> logger) : BackgroundService
{
    // How often the persistent session's queue is looked at (a count, no lock).
    internal static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.LiveLane.Enabled)
        {
            return;
        }

        IMqttClient? client = null;
        var rule = new LiveLaneRule(settings.LiveLane, ingestion.Value.MaxBatchSize);
        // A resumed session's backlog opens the lane at once; should the broker refuse the live login (ProvisioningStartup
        // creates it with the persistent session's, and a broker may apply them a moment apart) it is tried again each
        // check for a while.
        DateTimeOffset? retryUntil = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await lane.WaitAsync(CheckInterval, timeProvider, stoppingToken);
                var now = timeProvider.GetUtcNow();
                lane.Ledger.Prune(now - settings.LiveLane.RememberFor);
                rule.Observe(now, sessionQueue.Count);
                if (!lane.IsOpen)
                {
                    var resumed = lane.TakeOpenRequest();
                    if (resumed || rule.BacklogDue(now))
                    {
                        client = await OpenAsync(settings, resumed ? LiveLaneReason.Resumed : LiveLaneReason.Backlog, stoppingToken);
                        rule.Restart();
                        retryUntil = client is not null || !resumed ? null : retryUntil ?? now + TimeSpan.FromSeconds(30);
                        if (now < retryUntil)
                        {
                            lane.RequestOpenAgain();
                        }
                    }

                    continue;
                }

                if (rule.CloseReason(now, lane.TakeCloseRequest(), client is { IsConnected: true }) is { } why)
                {
                    await CloseAsync(client, why);
                    client = null;
                    // A backlog that is still there (the lane closed for being idle too early) is seen afresh.
                    rule.Restart();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (client is not null)
            {
                await CloseAsync(client, LiveLaneReason.Stopping);
            }
        }
    }

    private async Task<IMqttClient?> OpenAsync(MqttOptions settings, LiveLaneReason reason, CancellationToken cancellationToken)
    {
        var client = new MqttClientFactory().CreateMqttClient(new ThrottledAdapterFactory(lane.Queue, timeProvider, lane.Connection));
        client.ApplicationMessageReceivedAsync += e => ReceiveAsync(e, cancellationToken);
        client.DisconnectedAsync += _ =>
        {
            lane.Connection.SetDisconnected();
            return Task.CompletedTask;
        };
        try
        {
            lane.Connection.NextGeneration();
            var connected = await client.ConnectAsync(BuildOptions(settings), cancellationToken);
            if (connected.ResultCode != MqttClientConnectResultCode.Success)
            {
                logger.LiveLaneRefused(settings.LiveClientId, connected.ResultCode.ToString());
                client.Dispose();
                return null;
            }

            var subscribed = await client.SubscribeAsync(
                new MqttClientSubscribeOptionsBuilder().WithTopicFilter(Topics.LiveResultsSharedSubscription, MqttQualityOfServiceLevel.AtLeastOnce).Build(),
                cancellationToken);
            if (subscribed.Items.Any(i => (int)i.ResultCode > 2))
            {
                logger.LiveLaneRefused(settings.LiveClientId, subscribed.Items.First().ResultCode.ToString());
                await client.DisconnectAsync(cancellationToken: CancellationToken.None);
                client.Dispose();
                return null;
            }

            lane.Connection.SetConnected();
            lane.SetOpen(true);
            metrics.LiveLaneChanged(open: true, reason);
            logger.LiveLaneOpened(reason, settings.LiveClientId, sessionQueue.Count);
            return client;
        }
        catch (MQTTnet.Adapter.MqttConnectingFailedException ex)
        {
            // MQTTnet 5 throws on a refused CONNACK: at start-up the live login may not exist yet.
            logger.LiveLaneRefused(settings.LiveClientId, ex.Message);
            lane.Connection.SetDisconnected();
            client.Dispose();
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LiveLaneFailed(ex, settings.LiveClientId);
            lane.Connection.SetDisconnected();
            client.Dispose();
            return null;
        }
    }

    // A live result: taken (written first), or left to the persistent session, which carries it anyway; then the
    // default acknowledgement answers it on this connection.
    private async Task ReceiveAsync(MqttApplicationMessageReceivedEventArgs e, CancellationToken cancellationToken)
    {
        try
        {
            if (!lane.IsOpen)
            {
                return;
            }

            var topic = e.ApplicationMessage.Topic;
            var payload = MqttIngestionService.PayloadOf(e.ApplicationMessage);
            switch (lane.Ledger.AdmitLive(topic, payload))
            {
                case LiveAdmission.SeenOnSession:
                    lane.CaughtUp();
                    return;
                case LiveAdmission.Full:
                    metrics.LiveLeftToSession();
                    return;
            }

            e.AutoAcknowledge = false;
            metrics.Received(status: false);
            metrics.LiveTaken();
            var message = new ReceivedMessage(topic, payload, timeProvider.GetUtcNow(), lane.Connection.Generation, e.PacketIdentifier)
            {
                Lane = DeliveryLane.Live,
            };
            try
            {
                await lane.Queue.EnqueueAsync(message, cancellationToken);
            }
            catch
            {
                // Not taken after all (the host stops): its copy in the persistent session is processed normally.
                lane.Ledger.Settle(topic, payload, durable: false);
                throw;
            }
        }
        finally
        {
            // Counted from its decoding until it is queued (or left to the session): the queue never looks emptier than it is.
            lane.Queue.Taken();
        }
    }

    private async Task CloseAsync(IMqttClient? client, LiveLaneReason reason)
    {
        // Results still on the way to this connection are left to the persistent session from here on.
        lane.SetOpen(false);
        metrics.LiveLaneChanged(open: false, reason);
        logger.LiveLaneClosed(reason, lane.Ledger.Count);
        if (client is null)
        {
            return;
        }

        try
        {
            if (client.IsConnected)
            {
                // Session expiry 0: the broker forgets the session, and with it any result this lane did not acknowledge.
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            logger.LiveLaneFailed(ex, options.Value.LiveClientId);
        }
        finally
        {
            lane.Connection.SetDisconnected();
            client.Dispose();
        }
    }

    private static MqttClientOptions BuildOptions(MqttOptions settings)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(settings.Host, settings.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(settings.LiveClientId)
            // A session that lives only as long as the connection (MQTT 5, 3.1.2.4 and 3.1.2.11.2): nothing is queued for it
            // while the lane is closed, and the broker forgets what it did not acknowledge (the persistent session has it).
            .WithCleanStart(true)
            .WithSessionExpiryInterval(0)
            .WithReceiveMaximum((ushort)settings.ReceiveMaximum)
            .WithKeepAlivePeriod(settings.KeepAlive)
            .WithTimeout(TimeSpan.FromSeconds(15));
        if (!string.IsNullOrEmpty(settings.Username))
        {
            builder = builder.WithCredentials(settings.Username + "-live", settings.Password);
        }

        if (settings.UseTls)
        {
            builder = builder.WithTlsOptions(o => MqttTls.Configure(o, settings.CaCertificatePath));
        }

        return builder.Build();
    }
}
