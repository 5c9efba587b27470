using System.Net;

namespace HaTangSo.Telemetry.SpeedTest.UdpEcho;

/// <summary>
/// A token bucket per client address: an echo responder must not become a reflector that a forged source
/// address can aim at a third party, nor let one client take the server's capacity.
/// </summary>
internal sealed class ClientRateLimiter
{
    private readonly Dictionary<IPAddress, Bucket> _buckets = [];
    private readonly TimeProvider _time;
    private readonly double _ratePerSecond;
    private readonly double _burst;
    private readonly int _maxClients;

    public ClientRateLimiter(TimeProvider time, int ratePerSecond, int burst, int maxClients)
    {
        _time = time;
        _ratePerSecond = ratePerSecond;
        _burst = burst;
        _maxClients = maxClients;
    }

    /// <summary>Addresses currently tracked.</summary>
    public int Tracked => _buckets.Count;

    /// <summary>Takes one token for <paramref name="client"/>; false when its bucket is empty.</summary>
    public bool TryAcquire(IPAddress client)
    {
        var now = _time.GetTimestamp();
        if (!_buckets.TryGetValue(client, out var bucket))
        {
            if (_buckets.Count >= _maxClients && !EvictIdle(now))
            {
                return false;
            }

            bucket = new Bucket { Tokens = _burst, Updated = now };
            _buckets[client] = bucket;
        }

        var elapsed = _time.GetElapsedTime(bucket.Updated, now).TotalSeconds;
        bucket.Tokens = Math.Min(_burst, bucket.Tokens + (elapsed * _ratePerSecond));
        bucket.Updated = now;
        if (bucket.Tokens < 1)
        {
            return false;
        }

        bucket.Tokens -= 1;
        return true;
    }

    // A bucket that has refilled completely carries no state worth keeping.
    private bool EvictIdle(long now)
    {
        var fullAfter = _burst / _ratePerSecond;
        var idle = _buckets.Where(pair => _time.GetElapsedTime(pair.Value.Updated, now).TotalSeconds >= fullAfter)
            .Select(pair => pair.Key)
            .ToList();
        foreach (var address in idle)
        {
            _buckets.Remove(address);
        }

        return idle.Count > 0;
    }

    private sealed class Bucket
    {
        public double Tokens { get; set; }

        public long Updated { get; set; }
    }
}
