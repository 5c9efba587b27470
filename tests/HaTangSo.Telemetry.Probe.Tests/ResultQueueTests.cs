using System.Text;
using HaTangSo.Telemetry.Probe.Queue;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Probe.Tests;

public sealed class ResultQueueTests : IDisposable
{
    private readonly TempDirectory _directory = new("probe-queue");

    private string QueuePath => Path.Combine(_directory.Path, "sub", "queue.db");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void NextBatch_SeveralQueued_OldestFirst()
    {
        using var queue = ResultQueue.Open(QueuePath, 100);
        for (var i = 0; i < 10; i++)
        {
            queue.Enqueue($"r{i}", Encoding.UTF8.GetBytes($"payload {i}"));
        }

        var batch = queue.NextBatch(3);

        // The 3 oldest and, not to starve it behind a backlog, the newest.
        Assert.Equal(["r0", "r1", "r2", "r9"], batch.Select(b => b.ResultId));
        Assert.Equal("payload 0", Encoding.UTF8.GetString(batch[0].Payload));
        Assert.Equal(10, queue.Depth);
    }

    [Fact]
    public void Remove_Acknowledged_LeavesTheRest()
    {
        using var queue = ResultQueue.Open(QueuePath, 100);
        queue.Enqueue("a", [1]);
        queue.Enqueue("b", [2]);

        queue.Remove(queue.NextBatch(1)[0].Sequence);

        Assert.Equal(["b"], queue.NextBatch(10).Select(b => b.ResultId));
    }

    [Fact]
    public void Enqueue_SameResultIdTwice_KeptOnce()
    {
        using var queue = ResultQueue.Open(QueuePath, 100);
        queue.Enqueue("a", [1]);
        queue.Enqueue("a", [1]);

        Assert.Equal(1, queue.Depth);
    }

    [Fact]
    public void Enqueue_Full_EvictsOldestFirstAndCountsIt()
    {
        using (var queue = ResultQueue.Open(QueuePath, 100))
        {
            var evicted = Enumerable.Range(0, 150).Sum(i => queue.Enqueue($"r{i:000}", [(byte)i]));

            Assert.Equal(50, evicted);
            Assert.Equal(100, queue.Depth);
            Assert.Equal(50, queue.Evicted);
            Assert.Equal("r050", queue.NextBatch(1)[0].ResultId);
        }

        // The count is kept in the file: still reported after a restart.
        using var reopened = ResultQueue.Open(QueuePath, 100);
        Assert.Equal(50, reopened.Evicted);
        Assert.Equal(100, reopened.Depth);
    }

    [Fact]
    public void Open_AfterProcessDiedWithoutDispose_CommittedResultsAreThere()
    {
        // A commit is durable on its own (WAL, synchronous=FULL): the second connection sees it without the
        // first being closed, as after a SIGKILL.
        var first = ResultQueue.Open(QueuePath, 100);
        first.Enqueue("kept", [42]);

        using var second = ResultQueue.Open(QueuePath, 100);
        Assert.Equal(["kept"], second.NextBatch(10).Select(b => b.ResultId));
        first.Dispose();
    }
}
