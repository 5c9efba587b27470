using System.Buffers;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.Benchmarks;

internal static partial class CpuBenchmark
{
    /// <summary>
    /// MQTT receive + PUBACK: <paramref name="count"/> results queued in a persistent session while its client is away
    /// (published before the measurement), then received through the server's own client set-up (the throttled channel,
    /// the bounded queue, Receive Maximum 20,000) and acknowledged after each batch of 5,000 in one write, as the pipeline
    /// does. Only this process's CPU is counted (the broker is another process).
    /// </summary>
    private static async Task MqttStageAsync(int count, List<(string, double, double)> rows, CancellationToken ct)
    {
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        for (var pass = 0; pass < 2; pass++)
        {
            var clientId = $"hts-cpu-bench-{pass}";
            var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port)
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId(clientId)
                .WithCleanStart(false).WithSessionExpiryInterval(3600).WithReceiveMaximum(20_000)
                .WithKeepAlivePeriod(TimeSpan.FromSeconds(30)).WithTimeout(TimeSpan.FromSeconds(15)).Build();
            var queue = new IngestionQueue(Options.Create(new IngestionOptions()));
            var connection = new MqttConnectionState();
            using var client = new MqttClientFactory().CreateMqttClient(AdapterFactory(queue, connection));
            client.ApplicationMessageReceivedAsync += async e =>
            {
                e.AutoAcknowledge = false;
                await queue.EnqueueAsync(
                    new ReceivedMessage(e.ApplicationMessage.Topic, MqttIngestionService.PayloadOf(e.ApplicationMessage), DateTimeOffset.UtcNow, 1, e.PacketIdentifier), ct);
                queue.Taken(); // last, as the server's handlers do
            };
            await client.ConnectAsync(options, ct);
            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(Topics.ResultsSharedSubscription, MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
            await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), ct);

            var messages = Stream(pass == 0 ? Math.Min(count, 20_000) : count, 3 + pass);
            await StreamPublisher.PublishAsync(broker.Port, [.. messages.Select(m => (m.Topic.Split('/')[3], m.Payload.ToArray()))], 2, 50, ct);
            Console.WriteLine($"MQTT pass {pass}: {messages.Count:N0} queued for {clientId}");
            var (cpu, bytes) = await MeasureAsync(async () =>
            {
                await client.ConnectAsync(options, ct);
                var acknowledged = 0;
                var batch = new List<ReceivedMessage>(BatchSize);
                while (acknowledged < messages.Count)
                {
                    // Full batches, as the batch writer takes them from a backlog (it waits for a batch to fill; taking
                    // whatever the queue held at the moment made batches of about 8 and a write for every 8 PUBACKs).
                    var target = Math.Min(BatchSize, messages.Count - acknowledged);
                    while (batch.Count < target)
                    {
                        if (queue.Reader.TryRead(out var message))
                        {
                            batch.Add(message);
                        }
                        else
                        {
                            await queue.Reader.WaitToReadAsync(ct);
                        }
                    }

                    await AcknowledgeAsync(connection, batch, ct);

                    queue.Settled(batch.Count);
                    acknowledged += batch.Count;
                    batch.Clear();
                }
            });
            // Out of the share group, or the next pass's session would get only half of its messages.
            await client.UnsubscribeAsync(Topics.ResultsSharedSubscription, ct);
            await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), ct);
            if (pass == 1)
            {
                rows.Add(("MQTT receive + PUBACK (MQTTnet, throttled channel)", cpu / messages.Count, bytes / messages.Count));
                Console.WriteLine(SocketCalls(connection, messages.Count));
            }
        }
    }
}
