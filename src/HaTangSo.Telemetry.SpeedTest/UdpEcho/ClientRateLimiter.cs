using System.Net;

namespace HaTangSo.Telemetry.SpeedTest.UdpEcho;

/// <summary>What the limiter decided for one datagram.</summary>
internal enum EchoDecision
{
    /// <summary>Answer it.</summary>
    Echo,

    /// <summary>Its client is over its own rate.</summary>
    ClientLimited,

    /// <summary>The server is over its total rate.</summary>
    GlobalLimited,
}

/// <summary>
/// A token bucket per client address and one for the whole server: the echo must not become a reflector, nor let
/// one client take the server's capacity. The per-client table is bounded: when it is full the least recently seen
/// client's state is dropped (it starts again with a full bucket), so a crowd of new clients never locks out the
/// next honest one, and the global bucket bounds what all of them together get.
/// </summary>
internal sealed class ClientRateLimiter
{
    private readonly Dictionary<IPAddress, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recency = new(); // most recent first
    private readonly TimeProvider _time;
    private readonly double _ratePerSecond;
    private readonly double _burst;
    private readonly int _maxClients;
    private readonly Bucket _global;
    private readonly double _globalRate;

    public ClientRateLimiter(TimeProvider time, int ratePerSecond, int burst, int maxClients, int globalPerSecond = int.MaxValue)
    {
        _time = time;
        _ratePerSecond = ratePerSecond;
        _burst = burst;
        _maxClients = maxClients;
        _globalRate = globalPerSecond;
        _global = new Bucket { Tokens = globalPerSecond, Updated = time.GetTimestamp() };
    }

    /// <summary>Addresses currently tracked.</summary>
    public int Tracked => _entries.Count;

    /// <summary>Client states dropped to make room (least recently seen first).</summary>
    public long Evicted { get; private set; }

    /// <summary>Takes one token for <paramref name="client"/> and one from the server's bucket, or says which is empty.</summary>
    public EchoDecision Acquire(IPAddress client)
    {
        var now = _time.GetTimestamp();
        if (_entries.TryGetValue(client, out var node))
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
        }
        else
        {
            if (_entries.Count >= _maxClients)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Address);
                Evicted++;
            }

            node = _recency.AddFirst(new Entry(client) { Bucket = new Bucket { Tokens = _burst, Updated = now } });
            _entries[client] = node;
        }

        var bucket = node.Value.Bucket;
        Refill(bucket, _ratePerSecond, _burst, now);
        if (bucket.Tokens < 1)
        {
            return EchoDecision.ClientLimited;
        }

        Refill(_global, _globalRate, _globalRate, now);
        if (_global.Tokens < 1)
        {
            return EchoDecision.GlobalLimited;
        }

        bucket.Tokens -= 1;
        _global.Tokens -= 1;
        return EchoDecision.Echo;
    }

    /// <summary>Takes one token for <paramref name="client"/>; false when its bucket or the server's is empty.</summary>
    public bool TryAcquire(IPAddress client) => Acquire(client) == EchoDecision.Echo;

    private void Refill(Bucket bucket, double rate, double size, long now)
    {
        var elapsed = _time.GetElapsedTime(bucket.Updated, now).TotalSeconds;
        bucket.Tokens = Math.Min(size, bucket.Tokens + (elapsed * rate));
        bucket.Updated = now;
    }

    private sealed class Bucket
    {
        public double Tokens { get; set; }

        public long Updated { get; set; }
    }

    private sealed record Entry(IPAddress Address)
    {
        public required Bucket Bucket { get; init; }
    }
}
