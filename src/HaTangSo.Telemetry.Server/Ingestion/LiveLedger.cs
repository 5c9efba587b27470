namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// The live lane's ledger: the results it took, until their copies come through the persistent session. Both sessions
/// receive every result published while the live lane is open (MQTT 5, 4.8.2: one copy per share group), so each such
/// result arrives twice. The first arrival is written; the second, if it is byte for byte a result the live lane has made
/// durable (topic and payload compared in full, never by hash alone), is only acknowledged: no second point, arrival
/// token, metric or quarantine row. A copy that arrives while its live original is still being written waits for it; if
/// that write did not finish (the host stopped), the copy is processed as any other message. Every decision errs towards
/// writing twice (the same point, and a redelivery to <see cref="ResultIdStore"/>), never towards losing: the persistent
/// session carries every result whatever the live lane does.
/// </summary>
internal sealed class LiveLedger(TimeProvider timeProvider, int capacity)
{
    // Hashes of the persistent session's latest results while the live lane is open: a result the persistent session
    // delivered before the live lane (it has caught up) is left to it. A hash collision only sends a live result the slow
    // way, so hashes suffice here.
    private const int RecentCapacity = 4096;

    private readonly Lock _lock = new();
    private readonly Dictionary<DeliveryKey, Entry> _entries = [];
    private readonly HashSet<int> _recent = [];
    private readonly Queue<int> _recentOrder = new(RecentCapacity);
    private int _remembered;

    /// <summary>Live results remembered (being written, or written and waiting for their copy).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _remembered;
            }
        }
    }

    /// <summary>Whether nothing is remembered (the persistent session's results then need no look-up).</summary>
    public bool IsEmpty => Volatile.Read(ref _remembered) == 0;

    /// <summary>The live lane received a result: take it, or leave it to the persistent session.</summary>
    public LiveAdmission AdmitLive(string topic, ReadOnlyMemory<byte> payload)
    {
        var key = new DeliveryKey(topic, payload);
        lock (_lock)
        {
            if (_recent.Contains(key.GetHashCode()))
            {
                return LiveAdmission.SeenOnSession;
            }

            if (_remembered >= capacity)
            {
                return LiveAdmission.Full;
            }

            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry();
                _entries.Add(key, entry);
            }

            entry.Pending++;
            entry.Touched = timeProvider.GetUtcNow();
            _remembered++;
            return LiveAdmission.Taken;
        }
    }

    /// <summary>
    /// The batch holding a taken live result is done: <paramref name="durable"/> when it was written or quarantined, false
    /// when its batch failed (its copy is then processed normally).
    /// </summary>
    public void Settle(string topic, ReadOnlyMemory<byte> payload, bool durable)
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            var key = new DeliveryKey(topic, payload);
            if (!_entries.TryGetValue(key, out var entry) || entry.Pending == 0)
            {
                return;
            }

            entry.Pending--;
            if (durable)
            {
                entry.Settled++;
                entry.Touched = timeProvider.GetUtcNow();
            }
            else
            {
                _remembered--;
                RemoveIfEmpty(key, entry);
            }

            (waiter, entry.Waiter) = (entry.Waiter, null);
        }

        waiter?.TrySetResult();
    }

    /// <summary>
    /// The persistent session delivered a result: true when it is a copy of a live result already made durable (the
    /// caller then only acknowledges it). Waits while the live original is still being written. With
    /// <paramref name="recordRecent"/> (the live lane is open) a result that is not a copy is remembered briefly, so that
    /// the live lane leaves it alone should it arrive there second.
    /// </summary>
    public async ValueTask<bool> IsCopyAsync(string topic, ReadOnlyMemory<byte> payload, bool recordRecent, CancellationToken cancellationToken)
    {
        var key = new DeliveryKey(topic, payload);
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (!_entries.TryGetValue(key, out var entry))
                {
                    if (recordRecent)
                    {
                        RememberRecent(key.GetHashCode());
                    }

                    return false;
                }

                if (entry.Settled > 0)
                {
                    entry.Settled--;
                    _remembered--;
                    RemoveIfEmpty(key, entry);
                    return true;
                }

                entry.Waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = entry.Waiter.Task;
            }

            await wait.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Forgets written live results last touched before <paramref name="before"/> (their copies went elsewhere).</summary>
    public int Prune(DateTimeOffset before)
    {
        lock (_lock)
        {
            var stale = _entries.Where(e => e.Value.Pending == 0 && e.Value.Touched < before).ToList();
            foreach (var (key, entry) in stale)
            {
                _remembered -= entry.Settled;
                _entries.Remove(key);
            }

            return stale.Count;
        }
    }

    /// <summary>The broker lost the persistent session: no copy will come; forget every written live result.</summary>
    public void ForgetWritten() => Prune(DateTimeOffset.MaxValue);

    /// <summary>The live lane closed: the persistent session's recent results are no longer needed.</summary>
    public void ClearRecent()
    {
        lock (_lock)
        {
            _recent.Clear();
            _recentOrder.Clear();
        }
    }

    private void RememberRecent(int hash)
    {
        if (_recentOrder.Count == RecentCapacity)
        {
            _recent.Remove(_recentOrder.Dequeue());
        }

        _recentOrder.Enqueue(hash);
        _recent.Add(hash);
    }

    private void RemoveIfEmpty(DeliveryKey key, Entry entry)
    {
        if (entry.Pending == 0 && entry.Settled == 0)
        {
            _entries.Remove(key);
        }
    }

    private sealed class Entry
    {
        public int Pending;
        public int Settled;
        public DateTimeOffset Touched;
        public TaskCompletionSource? Waiter;
    }
}
