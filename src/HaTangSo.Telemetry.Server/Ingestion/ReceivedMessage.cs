using System.Threading.Channels;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// A message taken from the broker and not yet acknowledged. <see cref="Generation"/> is the connection
/// it came on: its PUBACK may only go back on that same connection.
/// </summary>
internal sealed record ReceivedMessage(
    string Topic,
    ReadOnlyMemory<byte> Payload,
    DateTimeOffset ReceivedAt,
    long Generation,
    Func<CancellationToken, Task> Acknowledge);

/// <summary>
/// The hand-off between the MQTT client and the batch writer. Unbounded on purpose: the broker never has
/// more than Receive Maximum unacknowledged messages in flight to us, which bounds it.
/// </summary>
internal sealed class IngestionQueue
{
    private readonly Channel<ReceivedMessage> _channel = Channel.CreateUnbounded<ReceivedMessage>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private long _unacknowledged;

    /// <summary>Messages received and not yet acknowledged (or abandoned with their connection).</summary>
    public long Unacknowledged => Interlocked.Read(ref _unacknowledged);

    public ChannelReader<ReceivedMessage> Reader => _channel.Reader;

    public void Enqueue(ReceivedMessage message)
    {
        Interlocked.Increment(ref _unacknowledged);
        if (!_channel.Writer.TryWrite(message))
        {
            Interlocked.Decrement(ref _unacknowledged);
            throw new InvalidOperationException("The ingestion queue is closed.");
        }
    }

    public void Settled(int count) => Interlocked.Add(ref _unacknowledged, -count);
}
