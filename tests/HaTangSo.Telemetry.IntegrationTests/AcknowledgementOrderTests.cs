using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.IntegrationTests.Compliance;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.IntegrationTests;

/// <summary>
/// With two batches in flight (<see cref="BatchTurn"/>) the second may be durable first; its PUBACKs must still leave
/// after the first batch's (MQTT 5, 4.6: in the order the PUBLISH packets came). The broker does not show the order it
/// receives acknowledgements in, so this drives the server's own pipeline in process (real PostgreSQL, InfluxDB and
/// Mosquitto), with the connection's PUBACKs recorded, and holds the first batch in flight at will.
/// </summary>
public sealed class AcknowledgementOrderTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private const string ProbeId = "ht-ack-order-01";

    [Fact]
    public async Task SecondBatchDurableFirst_ItsAcknowledgementsWaitForTheFirstBatch_ThenFollowIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        var settings = new ServerSettings(await postgres.NewCataloguedDatabaseAsync(ct), influx.Server.BaseAddress, influx.NewDatabaseName(), broker.Port);
        await using var server = await ServerInstance.StartAsync(settings, new FakeTimeProvider(DateTimeOffset.UtcNow), new Dictionary<string, string?>(), ct);
        await ComplianceTestContext.RegisterProbeAsync(server, ProbeId, "18409", advertisedFixed: 150, ct);
        using var stored = new InfluxProbe(settings.InfluxUrl, settings.InfluxDatabase);
        var pipeline = server.Get<IngestionPipeline>();
        var connection = server.Get<MqttConnectionState>();
        // The PUBACKs are recorded instead of sent: the packet ids below were never the broker's.
        var acknowledged = new RecordingPubAcks(connection.Generation);
        connection.Attach(acknowledged);
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        var first = Batch(0, start, connection.Generation);
        var second = Batch(1, start, connection.Generation);

        // The second batch, while the first is still in flight: written, not acknowledged.
        var firstDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondTurn = new BatchTurn(firstDone.Task);
        var secondDone = pipeline.ProcessAsync(second, secondTurn, ct);
        await secondTurn.Prepared.WaitAsync(TimeSpan.FromMinutes(2), ct);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await stored.CountResultsAsync(ct) < second.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct);
        }

        Assert.Equal(second.Count, await stored.CountResultsAsync(ct));
        await Task.Delay(500, ct);
        Assert.False(secondDone.IsCompleted, "the second batch finished while the first was in flight");
        Assert.Empty(acknowledged.PacketIds);

        // The first batch goes through; only once it is done does the second acknowledge, after it.
        await pipeline.ProcessAsync(first, new BatchTurn(Task.CompletedTask), ct);
        Assert.Equal(first.Select(m => m.PacketId), acknowledged.PacketIds);
        firstDone.SetResult();
        await secondDone.WaitAsync(TimeSpan.FromMinutes(2), ct);
        Assert.Equal([.. first.Select(m => m.PacketId), .. second.Select(m => m.PacketId)], acknowledged.PacketIds);
        Assert.Equal(2, acknowledged.Writes);
        Assert.Equal(first.Count + second.Count, await stored.CountResultsAsync(ct));
    }

    private static List<ReceivedMessage> Batch(int batch, DateTimeOffset start, long generation) =>
    [
        .. Enumerable.Range(0, 20).Select(i =>
        {
            var result = SampleResults.Create(ProbeId, i, start.AddMinutes(batch * 100 + i));
            return new ReceivedMessage(Topics.Results(ProbeId), SampleResults.ToJson(result), DateTimeOffset.UtcNow, generation, (ushort)((batch * 100) + i + 1));
        }),
    ];

    /// <summary>The connection's PUBACKs, in the order written, and how many writes carried them.</summary>
    private sealed class RecordingPubAcks(long generation) : IPubAckWriter
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<ushort> _packetIds = new();
        private int _writes;

        public long Generation => generation;

        public IReadOnlyList<ushort> PacketIds => [.. _packetIds];

        public int Writes => Volatile.Read(ref _writes);

        public Task AcknowledgeAsync(IReadOnlyList<ushort> packetIds, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _writes);
            foreach (var id in packetIds)
            {
                _packetIds.Enqueue(id);
            }

            return Task.CompletedTask;
        }
    }
}
