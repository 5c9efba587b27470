using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>Why the live lane opened or closed (logged, and the <c>reason</c> of its metrics).</summary>
internal enum LiveLaneReason
{
    /// <summary>
    /// The persistent session was resumed (the CONNACK said session present, at start-up or after a reconnect) and its
    /// first batch was a full one: the broker held a backlog for it.
    /// </summary>
    Resumed,

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
/// <see cref="LiveLaneService"/> opens and closes the connection. The lane opens only when there is a backlog (a resumed
/// session whose first batch is full, or a full batch waiting for <see cref="LiveLaneOptions.OpenAfter"/>): every result
/// taken while it is open arrives twice, and with several server instances a copy that lands in another instance's
/// persistent session is written twice (the same point), so an open lane without a backlog would cost and help nothing.
/// </summary>
internal sealed class LiveLane : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0);
    private int _open;
    private int _closeRequested;
    private int _openRequested;
    private int _resumed;

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
    /// The persistent session connected. Without a session on the broker no copy of a live result will come (the ledger
    /// forgets the written ones). With one, the broker may have held a backlog while the server was away: the next batch
    /// the writer takes from the persistent session tells (<see cref="SessionBatchTaken"/>).
    /// </summary>
    public void SessionConnected(bool sessionPresent)
    {
        if (!sessionPresent)
        {
            Ledger.ForgetWritten();
        }

        Volatile.Write(ref _resumed, sessionPresent && Settings.Enabled ? 1 : 0);
    }

    /// <summary>
    /// The batch writer took a batch from the persistent session. The first after a resumed session decides: a full batch
    /// means a backlog was waiting, and the lane opens at once (a batch that is not full means none was).
    /// </summary>
    public void SessionBatchTaken(bool full)
    {
        if (Volatile.Read(ref _resumed) == 1 && Interlocked.Exchange(ref _resumed, 0) == 1 && full && !IsOpen)
        {
            Volatile.Write(ref _openRequested, 1);
            _wake.Release();
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
}
