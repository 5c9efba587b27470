using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// A message taken from the broker and not yet acknowledged. <see cref="Generation"/> is the connection
/// it came on: its PUBACK (<see cref="PacketId"/>, through <see cref="ThrottledChannel.AcknowledgeAsync"/>) may only go
/// back on that same connection. A probe may publish at QoS 0: the broker then delivers it at QoS 0, with packet id 0
/// and nothing to acknowledge.
/// </summary>
internal sealed record ReceivedMessage(
    string Topic,
    ReadOnlyMemory<byte> Payload,
    DateTimeOffset ReceivedAt,
    long Generation,
    ushort PacketId)
{
    /// <summary>The session that delivered it; its PUBACK goes back on that session's connection.</summary>
    public DeliveryLane Lane { get; init; }

    /// <summary>
    /// A copy, through the persistent session, of a live result already made durable (<see cref="LiveLedger"/>): only
    /// acknowledged, never processed a second time.
    /// </summary>
    public bool IsCopy { get; init; }
}

/// <summary>Which of the server's sessions delivered a message.</summary>
internal enum DeliveryLane
{
    /// <summary>The persistent session (<see cref="MqttOptions.ClientId"/>), which carries every message.</summary>
    Session,

    /// <summary>The live lane (<see cref="MqttOptions.LiveClientId"/>), open only while a backlog drains.</summary>
    Live,
}

/// <summary>
/// The hand-off between the MQTT client and the batch writer, bounded to <see cref="IngestionOptions.MaxBatchSize"/> ×
/// <see cref="IngestionOptions.QueuedBatches"/> (by default two batches).
/// When it is full the MQTT client's message handler waits, so the client stops reading its socket and TCP holds the
/// broker back. Receive Maximum alone does not bound it: Mosquitto 2.0.11 moves up to Receive Maximum queued messages
/// into flight for every PUBACK of the oldest message in flight (its <c>db__message_delete_outgoing</c>; eclipse-mosquitto/mosquitto#2301), so a batch of acknowledgements released the
/// whole session queue to the server (the drain benchmark measured 280,000 unacknowledged messages with Receive
/// Maximum 20,000, and 2.2 GiB of RSS).
/// </summary>
internal sealed class IngestionQueue
{
    private readonly Channel<ReceivedMessage> _channel;

    private long _unacknowledged;

    // Decoded by the client, not yet taken by its handler.
    private int _decoded;

    // The channel's read waiting for the handler to take messages (one reader, so one waiter at most).
    private TaskCompletionSource? _roomWaiter;

    public IngestionQueue(IOptions<IngestionOptions> options)
        : this(Math.Max(2, options.Value.MaxBatchSize * options.Value.QueuedBatches))
    {
    }

    /// <summary>A queue of <paramref name="capacity"/> messages (the live lane's).</summary>
    public IngestionQueue(int capacity)
    {
        Capacity = capacity;
        _channel = Channel.CreateBounded<ReceivedMessage>(
            new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = false });
    }

    /// <summary>Messages the queue holds at most before the MQTT client waits.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Whether the queue, with the messages the client has decoded and not yet handed to it (<see cref="Decoded"/>), holds
    /// <see cref="Capacity"/> messages: the MQTT channel then stops reading. Counting the decoded ones matters when the
    /// message handler is starved of CPU: MQTTnet's receive loop goes on reading into a queue of its own, which a
    /// drain on a saturated machine filled to about 40,000 messages while this queue was not full.
    /// </summary>
    public bool IsFull => _channel.Reader.Count + Volatile.Read(ref _decoded) >= Capacity;

    /// <summary>Messages decoded by the client and not yet taken by its message handler.</summary>
    public int DecodedNotTaken => Volatile.Read(ref _decoded);

    /// <summary>A PUBLISH packet was decoded (the channel adapter, <see cref="ThrottledAdapterFactory"/>).</summary>
    public void Decoded() => Interlocked.Increment(ref _decoded);

    /// <summary>
    /// The client's message handler is done with a message (every message, whatever it does with it, last thing: once it
    /// is queued, or dropped): it no longer counts as decoded. Called last, not first, so a message is counted from its
    /// decoding until it is in the queue; taken first, it counted nowhere while the handler queued it, and a read held
    /// back for a full queue could go on in between. Wakes a read held back by <see cref="WaitForRoomAsync"/>, which looks again.
    /// </summary>
    public void Taken()
    {
        // Never below zero: a message is decoded before its handler runs, so only a handler of an older connection
        // (whose count ConnectionStarted dropped) can find nothing to take, and it must not make room that is not there.
        var seen = Volatile.Read(ref _decoded);
        while (seen > 0 && Interlocked.CompareExchange(ref _decoded, seen - 1, seen) is var now && now != seen)
        {
            seen = now;
        }

        Interlocked.Exchange(ref _roomWaiter, null)?.TrySetResult();
    }

    /// <summary>A new connection: what the last one decoded and did not hand over is gone with it.</summary>
    public void ConnectionStarted() => Volatile.Write(ref _decoded, 0);

    /// <summary>Messages waiting for the batch writer.</summary>
    public int Count => _channel.Reader.Count;

    /// <summary>Messages received and not yet acknowledged (or abandoned with their connection).</summary>
    public long Unacknowledged => Interlocked.Read(ref _unacknowledged);

    public ChannelReader<ReceivedMessage> Reader => _channel.Reader;

    /// <summary>Queues a message, waiting while the queue is full (that wait is the back-pressure on the broker).</summary>
    public async ValueTask EnqueueAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _unacknowledged);
        try
        {
            if (!_channel.Writer.TryWrite(message))
            {
                await _channel.Writer.WriteAsync(message, cancellationToken);
            }
        }
        catch
        {
            Interlocked.Decrement(ref _unacknowledged);
            throw;
        }
    }

    /// <summary>
    /// Returns once the queue has room (at once when it has), or after <paramref name="maxWait"/> on
    /// <paramref name="timeProvider"/>'s clock. Woken by the batch writer taking a message or the message handler taking
    /// one from the client, not by polling, so a full queue is released as soon as it has room whatever the clock does.
    /// </summary>
    public async ValueTask WaitForRoomAsync(TimeSpan maxWait, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (!IsFull)
        {
            return;
        }

        using var held = new CancellationTokenSource(maxWait, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, held.Token);
        try
        {
            while (IsFull)
            {
                if (_channel.Reader.Count >= Capacity)
                {
                    // A bounded channel completes this when a read makes room (and no waiting writer takes the place first).
                    await _channel.Writer.WaitToWriteAsync(linked.Token);
                    continue;
                }

                // Full because of what the client decoded and its handler has not taken yet: woken by Taken. The waiter
                // is published before the check, so a Taken between the two is not missed.
                var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Interlocked.Exchange(ref _roomWaiter, waiter);
                if (!IsFull)
                {
                    break;
                }

                await waiter.Task.WaitAsync(linked.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Held for maxWait: the caller goes on anyway.
        }
        finally
        {
            Volatile.Write(ref _roomWaiter, null);
        }
    }

    public void Settled(int count) => Interlocked.Add(ref _unacknowledged, -count);
}
