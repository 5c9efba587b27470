using HaTangSo.Telemetry.Contracts;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// A probe-like publisher: QoS 1, and a publish counts only once the broker's PUBACK came back with reason
/// Success; across a broker restart it reconnects and re-sends what was not acknowledged (same result id, as a
/// probe does). PUBACK reason 0x10 "no matching subscribers" (MQTT 5, 3.4.2.1) counts as not delivered:
/// Mosquitto 2.0 does not restore shared subscriptions from persistence, so until the server has
/// re-subscribed after a broker restart, results would be dropped by the broker.
/// </summary>
public sealed class ResultPublisher(string host, int port) : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private int _notDelivered;

    /// <summary>Publishes the broker acknowledged with a reason other than Success (and that were re-sent).</summary>
    public int NotDelivered => Volatile.Read(ref _notDelivered);

    public async Task PublishAsync(string topicProbeId, IReadOnlyList<byte[]> payloads, CancellationToken cancellationToken, int window = 200)
    {
        for (var start = 0; start < payloads.Count; start += window)
        {
            var chunk = payloads.Skip(start).Take(window).ToArray();
            await RetryUntilAcknowledgedAsync(() => Task.WhenAll(chunk.Select(p => PublishOneAsync(topicProbeId, p, cancellationToken))), cancellationToken);
        }
    }

    public Task PublishAsync(ResultMessage message, CancellationToken cancellationToken) =>
        PublishAsync(message.ProbeId, [SampleResults.ToJson(message)], cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }

        _client.Dispose();
    }

    private async Task PublishOneAsync(string topicProbeId, byte[] payload, CancellationToken cancellationToken)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(Topics.Results(topicProbeId))
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        var result = await _client.PublishAsync(message, cancellationToken);
        if (result.ReasonCode != MqttClientPublishReasonCode.Success)
        {
            Interlocked.Increment(ref _notDelivered);
            throw new InvalidOperationException($"PUBACK reason {result.ReasonCode}");
        }
    }

    private async Task RetryUntilAcknowledgedAsync(Func<Task> publish, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (!_client.IsConnected)
                {
                    var options = new MqttClientOptionsBuilder()
                        .WithTcpServer(host, port)
                        .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
                        .WithClientId("test-publisher-" + Guid.NewGuid().ToString("N")[..8])
                        .WithTimeout(TimeSpan.FromSeconds(5))
                        .Build();
                    await _client.ConnectAsync(options, cancellationToken);
                }

                await publish();
                return;
            }
            catch (Exception) when (attempt < 300 && !cancellationToken.IsCancellationRequested)
            {
                // The broker is restarting: wait and re-send the whole chunk (QoS 1 allows duplicates; ids dedupe).
                await Task.Delay(100, cancellationToken);
            }
        }
    }
}
