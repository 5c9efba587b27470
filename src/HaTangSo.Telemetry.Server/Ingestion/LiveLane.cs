using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>Why the live lane opened or closed (logged, and the <c>reason</c> of its metrics).</summary>
internal enum LiveLaneReason
{
    /// <summary>The server started: the persistent session may hold a backlog.</summary>
    Startup,

    /// <summary>The persistent session held a full batch waiting for <see cref="LiveLaneOptions.OpenAfter"/>.</summary>
    Backlog,

    /// <summary>The persistent session delivered a result the live lane had seen: it has caught up.</summary>
    CaughtUp,

    /// <summary>The persistent session held less than a batch for <see cref="LiveLaneOptions.CloseAfter"/>.</summary>
    Idle,

    /// <summary>The live lane's connection was lost (the persistent session carries everything meanwhile).</summary>
    Disconnected,

    /// <summary>The server stops.</summary>
    Stopping,
}

/// <summary>
/// The live lane's shared state. MQTT delivers one session's messages in order (MQTT 5, 4.6), so a result published
/// during a backlog drain would wait behind the whole backlog in the persistent session. While a backlog drains, a
/// second session (<see cref="MqttOptions.LiveClientId"/>, clean start, session expiry 0) subscribes to the results
/// under its own share group (<see cref="Contracts.Topics.LiveResultsSharedSubscription"/>) and so receives a copy of
/// every result published from then on; those go into their own <see cref="Queue"/>, which the batch writer serves first,
/// and are acknowledged on that connection. The persistent session still delivers every result: <see cref="Ledger"/>
/// recognises the copies, and the first copy it sees shows that the backlog is gone, which closes the live lane.
/// <see cref="LiveLaneService"/> opens and closes the connection.
/// </summary>
internal sealed class LiveLane : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0);
    private int _open;
    private int _closeRequested;
    private int _openRequested;
    private TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LiveLane(IOptions<IngestionOptions> ingestion, IOptions<MqttOptions> mqtt, TimeProvider timeProvider)
    {
        Settings = mqtt.Value.LiveLane;
        // One batch: the live lane carries live traffic only, and its channel stops reading when this is full.
        Queue = new IngestionQueue(Math.Max(1, ingestion.Value.MaxBatchSize));
        Ledger = new LiveLedger(timeProvider, Settings.MaxRemembered);
    }

    /// <summary>The live lane's settings.</summary>
    public LiveLaneOptions Settings { get; }

    /// <summary>Live results waiting for the batch writer (served before the persistent session's).</summary>
    public IngestionQueue Queue { get; }

    /// <summary>The live lane's connection (its acknowledgements go back only on the connection that delivered).</summary>
    public MqttConnectionState Connection { get; } = new();

    /// <summary>The live results taken, until their copies come through the persistent session.</summary>
    public LiveLedger Ledger { get; }

    /// <summary>Subscribed and taking results.</summary>
    public bool IsOpen => Volatile.Read(ref _open) == 1;

    /// <summary>Whether the persistent session's results must be looked up in the ledger.</summary>
    public bool IsActive => IsOpen || !Ledger.IsEmpty;

    /// <summary>How often the lane has opened (metrics and tests).</summary>
    public long Openings { get; private set; }

    /// <summary>
    /// Asks for the lane to open (at start-up, before the persistent session connects, so that no result published
    /// after this falls between the two) and waits until it is open or could not be opened, at most <paramref name="limit"/>.
    /// </summary>
    public async Task OpenAsync(TimeSpan limit, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (!Settings.Enabled)
        {
            return;
        }

        var opened = Volatile.Read(ref _opened).Task;
        Volatile.Write(ref _openRequested, 1);
        _wake.Release();
        try
        {
            await opened.WaitAsync(limit, timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            // The persistent session goes on without it: nothing is lost, live results only wait longer.
        }
    }

    /// <summary>The persistent session has caught up: close the lane (idempotent).</summary>
    public void CaughtUp()
    {
        if (IsOpen && Interlocked.Exchange(ref _closeRequested, 1) == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>
    /// After a batch: settles the batch's live results in the ledger (<paramref name="durable"/> when the batch was
    /// processed to the end), so their copies can be acknowledged.
    /// </summary>
    public void Settled(IReadOnlyList<ReceivedMessage> batch, bool durable)
    {
        foreach (var message in batch)
        {
            if (message.Lane == DeliveryLane.Live)
            {
                Ledger.Settle(message.Topic, message.Payload, durable);
            }
        }
    }

    internal void RequestOpenAgain() => Volatile.Write(ref _openRequested, 1);

    internal bool TakeOpenRequest() => Interlocked.Exchange(ref _openRequested, 0) == 1;

    internal bool TakeCloseRequest() => Interlocked.Exchange(ref _closeRequested, 0) == 1;

    internal async Task WaitAsync(TimeSpan interval, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(interval, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _wake.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The interval passed.
        }
    }

    internal void SetOpen(bool open)
    {
        Volatile.Write(ref _open, open ? 1 : 0);
        if (open)
        {
            Openings++;
            Interlocked.Exchange(ref _closeRequested, 0);
        }
        else
        {
            Ledger.ClearRecent();
        }
    }

    public void Dispose() => _wake.Dispose();

    /// <summary>An open attempt ended (opened or not): releases whoever waits in <see cref="OpenAsync"/>.</summary>
    internal void OpenAttempted() =>
        Interlocked.Exchange(ref _opened, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
