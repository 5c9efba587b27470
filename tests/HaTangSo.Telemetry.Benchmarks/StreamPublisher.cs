using System.Diagnostics;
using HaTangSo.Telemetry.Contracts;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>Publishes prepared results with QoS 1 from several connections, a window of publishes in flight each.</summary>
internal static class StreamPublisher
{
    public static async Task<TimeSpan> PublishAsync(int port, IReadOnlyList<(string ProbeId, byte[] Payload)> messages, int connections, int window, CancellationToken ct)
    {
        var clients = new List<IMqttClient>();
        for (var i = 0; i < connections; i++)
        {
            var client = new MqttClientFactory().CreateMqttClient();
            await client.ConnectAsync(
                new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
                    .WithClientId($"bench-pub-{i}-{Guid.NewGuid():N}").Build(),
                ct);
            clients.Add(client);
        }

        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select((client, index) => Task.Run(
            async () =>
            {
                var mine = messages.Where((_, i) => i % connections == index).ToList();
                for (var start = 0; start < mine.Count; start += window)
                {
                    await Task.WhenAll(mine.Skip(start).Take(window).Select(m => PublishOneAsync(client, m.ProbeId, m.Payload, ct)));
                }
            },
            ct)));
        stopwatch.Stop();
        foreach (var client in clients)
        {
            await client.DisconnectAsync(cancellationToken: ct);
            client.Dispose();
        }

        return stopwatch.Elapsed;
    }

    public static async Task PublishOneAsync(IMqttClient client, string probeId, byte[] payload, CancellationToken ct)
    {
        var message = new MqttApplicationMessageBuilder().WithTopic(Topics.Results(probeId)).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        var result = await client.PublishAsync(message, ct);
        if (result.ReasonCode != MqttClientPublishReasonCode.Success)
        {
            throw new InvalidOperationException("PUBACK " + result.ReasonCode);
        }
    }
}
