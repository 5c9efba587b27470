using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// Does the broker honour the subscriber's Receive Maximum (MQTT 5, 3.1.2.11.3)? A persistent-session subscriber that
/// never acknowledges counts what it is sent: while connected, and after a reconnect to a backlog queued while it was
/// away. A conforming broker sends at most Receive Maximum unacknowledged messages in both cases.
/// </summary>
internal static class InflightProbe
{
    public static async Task RunAsync(int receiveMaximum, int messages, CancellationToken ct)
    {
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        var received = 0;
        using var subscriber = new MqttClientFactory().CreateMqttClient();
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = false;
            Interlocked.Increment(ref received);
            return Task.CompletedTask;
        };
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("inflight-probe")
            .WithCleanStart(false).WithSessionExpiryInterval(3600).WithReceiveMaximum((ushort)receiveMaximum).Build();
        await subscriber.ConnectAsync(options, ct);
        await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("$share/hts/inflight/#", MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);

        using var publisher = new MqttClientFactory().CreateMqttClient();
        await publisher.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("inflight-pub").Build(), ct);
        async Task PublishAsync(string topic = "inflight/x")
        {
            for (var i = 0; i < messages; i++)
            {
                await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("x")
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
            }
        }

        await PublishAsync();
        await Task.Delay(2000, ct);
        Console.WriteLine($"connected, Receive Maximum {receiveMaximum}, never acknowledging: {messages} published, {received} received");

        await subscriber.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), ct);
        await PublishAsync();
        Interlocked.Exchange(ref received, 0);
        await subscriber.ConnectAsync(options, ct);
        await Task.Delay(3000, ct);
        Console.WriteLine($"reconnected to the session with {2 * messages} unacknowledged (Receive Maximum {receiveMaximum}): {received} received");

        // The server's case: everything acknowledged, then a backlog queued while away (the send quota was full).
        var second = 0;
        using var drained = new MqttClientFactory().CreateMqttClient();
        var acknowledge = true;
        drained.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = acknowledge;
            Interlocked.Increment(ref second);
            return Task.CompletedTask;
        };
        var drainedOptions = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("inflight-probe-2")
            .WithCleanStart(false).WithSessionExpiryInterval(604800).WithReceiveMaximum((ushort)receiveMaximum)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30)).WithTimeout(TimeSpan.FromSeconds(15)).Build();
        await drained.ConnectAsync(drainedOptions, ct);
        await drained.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(Topics.ResultsSharedSubscription, MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(Topics.StatusSubscription, MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        await drained.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), ct);
        await PublishAsync(Topics.Results("probe-1"));
        acknowledge = false;
        second = 0;
        await drained.ConnectAsync(drainedOptions, ct);
        // As the server does: subscribe again on the present session.
        await drained.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(Topics.ResultsSharedSubscription, MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(Topics.StatusSubscription, MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        await Task.Delay(3000, ct);
        Console.WriteLine($"reconnected (nothing unacknowledged before) to a session with {messages} queued, Receive Maximum {receiveMaximum}, never acknowledging: {second} received");

        // Then acknowledge what was received, once, as the server does after a batch: Receive Maximum more may follow.
        var held = new List<MqttApplicationMessageReceivedEventArgs>();
        using var third = new MqttClientFactory().CreateMqttClient();
        var count = 0;
        third.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = false;
            lock (held)
            {
                held.Add(e);
            }

            Interlocked.Increment(ref count);
            return Task.CompletedTask;
        };
        var thirdOptions = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("inflight-probe-3")
            .WithCleanStart(false).WithSessionExpiryInterval(604800).WithReceiveMaximum((ushort)receiveMaximum).Build();
        await third.ConnectAsync(thirdOptions, ct);
        await third.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("$share/h3/ack/#", MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        await PublishAsync("ack/x");
        await Task.Delay(2000, ct);
        var before = count;
        List<MqttApplicationMessageReceivedEventArgs> toAck;
        lock (held)
        {
            toAck = [.. held];
            held.Clear();
        }

        foreach (var e in toAck)
        {
            await e.AcknowledgeAsync(ct);
        }

        await Task.Delay(2000, ct);
        Console.WriteLine($"connected, Receive Maximum {receiveMaximum}, {messages} published: {before} received; after acknowledging those {toAck.Count}: {count} received in all");
    }
}
