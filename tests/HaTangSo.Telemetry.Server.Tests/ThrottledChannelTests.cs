using System.Buffers;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using FsCheck;
using FsCheck.Fluent;
using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MQTTnet.Channel;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// The ingestion client's channel: a full queue holds reads until the batch writer takes a message — a signal, not a
/// clock, so a fake clock that never moves does not keep it waiting — or until <see cref="ThrottledChannel.MaxHold"/>;
/// reads are served from one socket read; a batch's PUBACKs go out as one write.
/// </summary>
public sealed class ThrottledChannelTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task ReadAsync_QueueFull_ReadsAsSoonAsTheWriterTakesOne_WithoutTheClockMoving()
    {
        var (queue, time, inner, channel) = Create();
        var before = time.GetUtcNow();
        await FillAsync(queue);

        var read = channel.ReadAsync(new byte[2], 0, 2, TestContext.Current.CancellationToken);
        Assert.False(read.IsCompleted);
        Assert.Equal(0, inner.Reads);

        Assert.True(queue.Reader.TryRead(out _));
        Assert.Equal(2, await read.WaitAsync(s_generous, TestContext.Current.CancellationToken));
        Assert.Equal(1, inner.Reads);
        Assert.Equal(before, time.GetUtcNow());
    }

    [Fact]
    public async Task ReadAsync_QueueFullForMaxHold_ReadsAnyway()
    {
        var (queue, time, inner, channel) = Create();
        await FillAsync(queue);

        var read = channel.ReadAsync(new byte[2], 0, 2, TestContext.Current.CancellationToken);
        time.Advance(ThrottledChannel.MaxHold - TimeSpan.FromMilliseconds(1));
        Assert.False(read.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(2, await read.WaitAsync(s_generous, TestContext.Current.CancellationToken));
        Assert.True(queue.IsFull);
        Assert.Equal(1, inner.Reads);
    }

    [Fact]
    public async Task ReadAsync_DecodedButNotTakenByTheHandler_HoldsReadsUntilTheHandlerTakesOne_WithoutTheClockMoving()
    {
        // The message handler starved of CPU: the client decoded a queue's worth and handed none over yet.
        var (queue, time, inner, channel) = Create();
        var before = time.GetUtcNow();
        queue.Decoded();
        queue.Decoded();
        Assert.True(queue.IsFull);

        var read = channel.ReadAsync(new byte[2], 0, 2, TestContext.Current.CancellationToken);
        Assert.False(read.IsCompleted);
        Assert.Equal(0, inner.Reads);

        queue.Taken();
        Assert.Equal(2, await read.WaitAsync(s_generous, TestContext.Current.CancellationToken));
        Assert.Equal(1, inner.Reads);
        Assert.Equal(before, time.GetUtcNow());
    }

    [Fact]
    public async Task ReadAsync_HandlerTakesOneIntoAFullQueue_WaitsForTheBatchWriterThenReads()
    {
        var (queue, _, inner, channel) = Create();
        await queue.EnqueueAsync(Message(), TestContext.Current.CancellationToken);
        queue.Decoded();
        var read = channel.ReadAsync(new byte[2], 0, 2, TestContext.Current.CancellationToken);
        Assert.False(read.IsCompleted);

        // The handler queues the decoded message and is done with it (as the handlers do: Taken last): the queue itself is
        // now full, and at no point did it look as if it had room.
        await queue.EnqueueAsync(Message(), TestContext.Current.CancellationToken);
        Assert.True(queue.IsFull);
        queue.Taken();
        Assert.True(queue.IsFull);
        Assert.Equal(0, inner.Reads);

        Assert.True(queue.Reader.TryRead(out _));
        Assert.Equal(2, await read.WaitAsync(s_generous, TestContext.Current.CancellationToken));
        Assert.Equal(1, inner.Reads);
    }

    [Fact]
    public void ConnectionStarted_ForgetsWhatTheLastConnectionDecodedAndNeverHandedOver()
    {
        var (queue, _, _, _) = Create();
        queue.Decoded();
        queue.Decoded();
        Assert.True(queue.IsFull);

        queue.ConnectionStarted();
        Assert.False(queue.IsFull);

        // A handler of the old connection finishing late does not make room that is not there.
        queue.Taken();
        Assert.Equal(0, queue.DecodedNotTaken);
        queue.Decoded();
        queue.Decoded();
        Assert.True(queue.IsFull);
    }

    [Fact]
    public async Task ReadAsync_SmallReads_ServedFromOneSocketRead()
    {
        var (_, _, inner, channel) = Create();
        var header = new byte[2];
        var body = new byte[8];

        Assert.Equal(2, await channel.ReadAsync(header, 0, 2, TestContext.Current.CancellationToken));
        Assert.Equal(8, await channel.ReadAsync(body, 0, 8, TestContext.Current.CancellationToken));

        Assert.Equal(1, inner.Reads);
        Assert.Equal(new byte[] { 0, 1 }, header);
        Assert.Equal(new byte[] { 2, 3, 4, 5, 6, 7, 8, 9 }, body);
    }

    [Fact]
    public async Task AcknowledgeAsync_ABatch_GoesOutAsOneWriteOfPubAcksInOrder()
    {
        var (_, _, inner, channel) = Create();

        await channel.AcknowledgeAsync([1, 0x0102, 0, ushort.MaxValue], TestContext.Current.CancellationToken);
        await channel.AcknowledgeAsync([], TestContext.Current.CancellationToken);
        await channel.AcknowledgeAsync([0, 0], TestContext.Current.CancellationToken);

        // MQTT 5, 3.4.2.1 (and 3.1.1, 3.4): type 4, remaining length 2, the packet identifier big-endian; reason Success.
        // Packet id 0 (a QoS 0 delivery) is not acknowledged: a PUBACK of 0 is a protocol error.
        var write = Assert.Single(inner.Writes);
        Assert.Equal(new byte[] { 0x40, 2, 0, 1, 0x40, 2, 1, 2, 0x40, 2, 0xFF, 0xFF }, write);
        Assert.Equal(1, channel.SocketWrites);
    }

    [Fact]
    public void AcknowledgeAsync_AnyPacketIds_EachButZeroDecodesAsAPubAckOfThatIdInOrder()
    {
        Prop.ForAll<ushort[]>(packetIds =>
        {
            var (_, _, inner, channel) = Create();
            channel.AcknowledgeAsync(packetIds, CancellationToken.None).GetAwaiter().GetResult();

            var expected = packetIds.Where(id => id != 0).ToArray();
            var written = inner.Writes.SelectMany(w => w).ToArray();
            return written.Length == expected.Length * 4
                && inner.Writes.Count == (expected.Length == 0 ? 0 : 1)
                && expected.Select((id, i) => written[i * 4] == 0x40 && written[(i * 4) + 1] == 2 && ((written[(i * 4) + 2] << 8) | written[(i * 4) + 3]) == id).All(ok => ok);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500).WithQuietOnSuccess(true));
    }

    private static (IngestionQueue Queue, FakeTimeProvider Time, FakeChannel Inner, ThrottledChannel Channel) Create()
    {
        var queue = new IngestionQueue(Options.Create(new IngestionOptions { MaxBatchSize = 1 }));
        var time = new FakeTimeProvider();
        var inner = new FakeChannel();
        return (queue, time, inner, new ThrottledChannel(inner, queue, time));
    }

    private static async Task FillAsync(IngestionQueue queue)
    {
        while (!queue.IsFull)
        {
            await queue.EnqueueAsync(Message(), TestContext.Current.CancellationToken);
        }
    }

    private static ReceivedMessage Message() => new("t", new byte[] { 1 }, DateTimeOffset.UnixEpoch, 1, 1);

    /// <summary>A socket that always has ten bytes (0..9) to read and records what is written.</summary>
    private sealed class FakeChannel : IMqttChannel
    {
        public int Reads { get; private set; }

        public List<byte[]> Writes { get; } = [];

        public EndPoint RemoteEndPoint => new IPEndPoint(IPAddress.Loopback, 1883);

        public EndPoint LocalEndPoint => new IPEndPoint(IPAddress.Loopback, 50000);

        public bool IsSecureConnection => false;

        public X509Certificate2 ClientCertificate => null!;

        public Task ConnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task DisconnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Reads++;
            var n = Math.Min(count, 10);
            for (var i = 0; i < n; i++)
            {
                buffer[offset + i] = (byte)i;
            }

            return Task.FromResult(n);
        }

        public Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken)
        {
            Writes.Add(buffer.ToArray());
            return Task.CompletedTask;
        }

        public void Dispose()
        {
        }
    }
}
