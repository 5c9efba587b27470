using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// The ingestion queue bounds what the server holds of a broker's backlog (two batches by default), whatever the broker sends:
/// the MQTT handler waits when it is full and the channel stops reading (see <see cref="ThrottledChannel"/>).
/// </summary>
public sealed class IngestionQueueTests
{
    [Theory]
    [InlineData(null, 5_000)]
    [InlineData(1, 5_000)]
    [InlineData(2, 10_000)]
    public void Capacity_IsQueuedBatchesTimesTheBatchSize(int? queuedBatches, int expected)
    {
        var options = new IngestionOptions();
        if (queuedBatches is { } batches)
        {
            options.QueuedBatches = batches;
        }

        Assert.Equal(expected, new IngestionQueue(Options.Create(options)).Capacity);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void QueuedBatches_OutsideOneToFour_IsRefusedNamingTheField(int queuedBatches)
    {
        var result = new IngestionOptionsValidator().Validate(null, new IngestionOptions { QueuedBatches = queuedBatches });
        Assert.True(result.Failed);
        Assert.Contains("QueuedBatches", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnqueueAsync_WhenFull_WaitsUntilTheBatchWriterTakesOne()
    {
        var queue = new IngestionQueue(Options.Create(new IngestionOptions { MaxBatchSize = 2, QueuedBatches = 2 }));
        Assert.Equal(4, queue.Capacity);
        for (var i = 0; i < 4; i++)
        {
            await queue.EnqueueAsync(Message(i), TestContext.Current.CancellationToken);
        }

        Assert.True(queue.IsFull);
        var fifth = queue.EnqueueAsync(Message(4), TestContext.Current.CancellationToken).AsTask();
        Assert.False(fifth.IsCompleted);
        Assert.Equal(5, queue.Unacknowledged);

        Assert.True(queue.Reader.TryRead(out var first));
        Assert.Equal("t/0", first.Topic);
        await fifth.WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        Assert.True(queue.IsFull);
    }

    [Fact]
    public async Task EnqueueAsync_CancelledWhileWaiting_IsNotCountedAsUnacknowledged()
    {
        var queue = new IngestionQueue(Options.Create(new IngestionOptions { MaxBatchSize = 1 }));
        await queue.EnqueueAsync(Message(0), TestContext.Current.CancellationToken);
        await queue.EnqueueAsync(Message(1), TestContext.Current.CancellationToken);
        using var stop = new CancellationTokenSource();
        var waiting = queue.EnqueueAsync(Message(2), stop.Token).AsTask();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(2, queue.Unacknowledged);
    }

    private static ReceivedMessage Message(int i) =>
        new($"t/{i}", new byte[] { 1 }, DateTimeOffset.UnixEpoch, 1, (ushort)(i + 1));
}
