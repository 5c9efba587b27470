using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Per-probe token bucket on arrival time, for results and status messages together: up to
/// <see cref="IngestionOptions.ArrivalBurst"/> at once, refilled at <see cref="IngestionOptions.ArrivalRatePerSecond"/>.
/// It is checked before a payload is even parsed, so a flooding probe costs the server a dictionary look-up per message
/// beyond its bucket. The key is the registered probe (the topic's probe id, looked up in the registry) and nothing a
/// payload chooses; every unregistered topic shares one bucket. A bucket that has refilled is the same as no bucket, so
/// idle ones are evicted: memory is bounded by the registry. The count lives in this process: instances sharing the
/// subscription each admit up to the limit.
/// </summary>
internal sealed class ArrivalRateLimiter(TimeProvider timeProvider, IOptions<IngestionOptions> options)
{
    private static readonly TimeSpan s_sweepInterval = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private long _lastSweep = timeProvider.GetTimestamp();

    /// <summary>Whether the limit is on (a refill rate above 0).</summary>
    public bool Enabled => options.Value.ArrivalRatePerSecond > 0;

    /// <summary>Buckets held now (probes that sent more than their refill recently).</summary>
    public int Tracked
    {
        get
        {
            lock (_buckets)
            {
                return _buckets.Count;
            }
        }
    }

    /// <summary>Takes a token for one message of <paramref name="registeredProbeId"/> (null: an unregistered topic).</summary>
    public bool TryTake(string? registeredProbeId)
    {
        if (!Enabled)
        {
            return true;
        }

        var burst = (double)options.Value.ArrivalBurst;
        var rate = options.Value.ArrivalRatePerSecond;
        var now = timeProvider.GetTimestamp();
        lock (_buckets)
        {
            if (timeProvider.GetElapsedTime(_lastSweep, now) >= s_sweepInterval)
            {
                Sweep(now, burst, rate);
            }

            ref var bucket = ref CollectionsMarshal.GetValueRefOrAddDefault(_buckets, registeredProbeId ?? string.Empty, out var exists);
            var tokens = exists ? Math.Min(burst, bucket.Tokens + (timeProvider.GetElapsedTime(bucket.At, now).TotalSeconds * rate)) : burst;
            bucket.At = now;
            if (tokens < 1)
            {
                bucket.Tokens = tokens;
                return false;
            }

            bucket.Tokens = tokens - 1;
            return true;
        }
    }

    private void Sweep(long now, double burst, double rate)
    {
        _lastSweep = now;
        foreach (var (key, bucket) in _buckets)
        {
            if (bucket.Tokens + (timeProvider.GetElapsedTime(bucket.At, now).TotalSeconds * rate) >= burst)
            {
                _buckets.Remove(key);
            }
        }
    }

    private struct Bucket
    {
        public double Tokens;
        public long At;
    }
}
