using System.Text;
using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// The live lane's ledger: a result written first by the live lane is recognised, byte for byte, when its copy comes
/// through the persistent session (only acknowledged then); anything in doubt is processed again, never dropped.
/// </summary>
public sealed class LiveLedgerTests
{
    private const string Topic = "hts/v1/probes/probe-a/results";

    private static readonly CancellationToken s_ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task IsCopyAsync_AfterTheLiveOriginalIsDurable_IsACopyOnce()
    {
        var ledger = new LiveLedger(new FakeTimeProvider(), 10);
        Assert.Equal(LiveAdmission.Taken, ledger.AdmitLive(Topic, Payload("a")));
        ledger.Settle(Topic, Payload("a"), durable: true);

        // A fresh array with the same bytes (the persistent session's delivery) is the copy; a second one is not.
        Assert.True(await ledger.IsCopyAsync(Topic, Payload("a"), recordRecent: true, s_ct));
        Assert.False(await ledger.IsCopyAsync(Topic, Payload("a"), recordRecent: true, s_ct));
        Assert.True(ledger.IsEmpty);
    }

    [Fact]
    public async Task IsCopyAsync_OtherPayloadOrTopic_IsNotACopy()
    {
        var ledger = new LiveLedger(new FakeTimeProvider(), 10);
        ledger.AdmitLive(Topic, Payload("a"));
        ledger.Settle(Topic, Payload("a"), durable: true);

        Assert.False(await ledger.IsCopyAsync(Topic, Payload("b"), recordRecent: false, s_ct));
        Assert.False(await ledger.IsCopyAsync("hts/v1/probes/probe-b/results", Payload("a"), recordRecent: false, s_ct));
        Assert.Equal(1, ledger.Count);
    }

    [Fact]
    public async Task IsCopyAsync_WhileTheOriginalIsBeingWritten_WaitsForIt()
    {
        var ledger = new LiveLedger(new FakeTimeProvider(), 10);
        ledger.AdmitLive(Topic, Payload("a"));

        var copy = ledger.IsCopyAsync(Topic, Payload("a"), recordRecent: true, s_ct).AsTask();
        Assert.False(copy.IsCompleted);
        ledger.Settle(Topic, Payload("a"), durable: true);
        Assert.True(await copy.WaitAsync(TimeSpan.FromMinutes(1), s_ct));
    }

    [Fact]
    public async Task IsCopyAsync_WhenTheOriginalsBatchFailed_IsProcessedNormally()
    {
        var ledger = new LiveLedger(new FakeTimeProvider(), 10);
        ledger.AdmitLive(Topic, Payload("a"));

        var copy = ledger.IsCopyAsync(Topic, Payload("a"), recordRecent: true, s_ct).AsTask();
        ledger.Settle(Topic, Payload("a"), durable: false);
        Assert.False(await copy.WaitAsync(TimeSpan.FromMinutes(1), s_ct));
        Assert.True(ledger.IsEmpty);
    }

    [Fact]
    public async Task AdmitLive_AfterThePersistentSessionDeliveredIt_LeavesItThere()
    {
        var ledger = new LiveLedger(new FakeTimeProvider(), 10);
        Assert.False(await ledger.IsCopyAsync(Topic, Payload("a"), recordRecent: true, s_ct));

        Assert.Equal(LiveAdmission.SeenOnSession, ledger.AdmitLive(Topic, Payload("a")));
        Assert.Equal(LiveAdmission.Taken, ledger.AdmitLive(Topic, Payload("b")));
        ledger.ClearRecent();
        Assert.Equal(LiveAdmission.Taken, ledger.AdmitLive(Topic, Payload("a")));
    }

    [Fact]
    public async Task AdmitLive_TheSameResultTwice_HasTwoCopies()
    {
        var ledger = new LiveLedger(new FakeTimeProvider(), 10);
        ledger.AdmitLive(Topic, Payload("a"));
        ledger.AdmitLive(Topic, Payload("a"));
        ledger.Settle(Topic, Payload("a"), durable: true);
        ledger.Settle(Topic, Payload("a"), durable: true);

        Assert.True(await ledger.IsCopyAsync(Topic, Payload("a"), recordRecent: false, s_ct));
        Assert.True(await ledger.IsCopyAsync(Topic, Payload("a"), recordRecent: false, s_ct));
        Assert.False(await ledger.IsCopyAsync(Topic, Payload("a"), recordRecent: false, s_ct));
    }

    [Fact]
    public void AdmitLive_WhenFull_LeavesItToThePersistentSession()
    {
        var ledger = new LiveLedger(new FakeTimeProvider(), 2);
        Assert.Equal(LiveAdmission.Taken, ledger.AdmitLive(Topic, Payload("a")));
        Assert.Equal(LiveAdmission.Taken, ledger.AdmitLive(Topic, Payload("b")));
        Assert.Equal(LiveAdmission.Full, ledger.AdmitLive(Topic, Payload("c")));
    }

    [Fact]
    public async Task Prune_ForgetsWrittenResultsNotSeenAgain_KeepsThoseBeingWritten()
    {
        var time = new FakeTimeProvider();
        var ledger = new LiveLedger(time, 10);
        ledger.AdmitLive(Topic, Payload("written"));
        ledger.Settle(Topic, Payload("written"), durable: true);
        ledger.AdmitLive(Topic, Payload("in flight"));
        time.Advance(TimeSpan.FromHours(2));

        Assert.Equal(1, ledger.Prune(time.GetUtcNow() - TimeSpan.FromHours(1)));
        Assert.False(await ledger.IsCopyAsync(Topic, Payload("written"), recordRecent: false, s_ct));
        Assert.Equal(1, ledger.Count);
    }

    private static byte[] Payload(string text) => Encoding.UTF8.GetBytes("{\"resultId\":\"" + text + "\"}");
}
