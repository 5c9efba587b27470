using System.Collections.Concurrent;
using System.Globalization;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Per-probe admission by measurement time. A probe tests each link once per schedule interval, so in any hour of
/// <c>startedAt</c> a link can honestly produce about 60 / schedule-minutes results; a broken or stolen probe
/// flooding results produces far more. Up to <see cref="IngestionOptions.ProbeRateLimitFactor"/> × the scheduled
/// count (plus <see cref="IngestionOptions.ProbeRateLimitBurst"/>, for manual runs) is admitted per link and hour;
/// the excess goes to quarantine, never silently away. Counting by measurement time, not arrival, lets a probe
/// that was offline for days deliver its backlog at full speed (the <see cref="ArrivalRateLimiter"/> bounds arrival).
/// The key is a registered probe and one of its registered links, checked before this runs, so a payload cannot open
/// new keys; keys not used for <see cref="s_idle"/> are evicted. The count lives in this process: instances sharing
/// the subscription each admit up to the limit.
/// </summary>
internal sealed class ProbeRateLimiter(TimeProvider timeProvider, IOptions<IngestionOptions> options)
{
    private static readonly TimeSpan s_window = TimeSpan.FromHours(1);
    private static readonly TimeSpan s_idle = TimeSpan.FromHours(6);
    private readonly ConcurrentDictionary<(string Probe, string Link), LinkWindows> _links = new();
    private long _lastSweep = timeProvider.GetTimestamp();

    /// <summary>Links tracked now.</summary>
    public int Tracked => _links.Count;

    /// <summary>Whether results are limited at all (factor above 0).</summary>
    public bool Enabled => options.Value.ProbeRateLimitFactor > 0;

    /// <summary>How many results one link may deliver per hour of measurement time.</summary>
    public int AllowedPerHour(TimeSpan schedule)
    {
        var scheduled = s_window / (schedule > TimeSpan.Zero ? schedule : TimeSpan.FromMinutes(15));
        return (int)Math.Ceiling(scheduled * options.Value.ProbeRateLimitFactor) + options.Value.ProbeRateLimitBurst;
    }

    /// <summary>
    /// Admits the result of a registered link, or returns the refusal. A result already admitted (a redelivery after a
    /// reconnect) is admitted again without counting.
    /// </summary>
    public Refusal? Admit(ProbeLocation probe, string registeredLink, DateTimeOffset startedAt, Guid resultId)
    {
        if (!Enabled)
        {
            return null;
        }

        var now = timeProvider.GetTimestamp();
        if (timeProvider.GetElapsedTime(Interlocked.Read(ref _lastSweep), now) >= s_window)
        {
            Sweep(now);
        }

        var allowed = AllowedPerHour(probe.ScheduleInterval);
        var hour = startedAt.UtcTicks - (startedAt.UtcTicks % s_window.Ticks);
        var windows = _links.GetOrAdd((probe.ProbeId, registeredLink), static _ => new LinkWindows());
        return windows.TryAdmit(hour, resultId, allowed, now)
            ? null
            : new Refusal(RefusalKind.RateLimit, string.Create(CultureInfo.InvariantCulture,
                $"rate limit: more than {allowed} results for link '{registeredLink}' in the hour from {new DateTimeOffset(hour, TimeSpan.Zero):yyyy-MM-dd HH:mm} UTC (probe tests every {probe.ScheduleInterval.TotalMinutes:0.#} min)"));
    }

    private void Sweep(long now)
    {
        Interlocked.Exchange(ref _lastSweep, now);
        foreach (var (key, windows) in _links)
        {
            if (timeProvider.GetElapsedTime(windows.LastUsed, now) >= s_idle)
            {
                _links.TryRemove(key, out _);
            }
        }
    }

    /// <summary>The last few hours of one link: the ids admitted in each (a redelivery is recognised, not counted twice).</summary>
    private sealed class LinkWindows
    {
        // Three hours are enough: live results fill the current hour, a backlog replays hour after hour in order.
        private readonly (long Hour, List<Guid> Admitted)[] _hours = new (long, List<Guid>)[3];
        private long _lastUsed;

        public long LastUsed => Interlocked.Read(ref _lastUsed);

        public bool TryAdmit(long hour, Guid resultId, int allowed, long now)
        {
            Interlocked.Exchange(ref _lastUsed, now);
            lock (_hours)
            {
                var slot = -1;
                var oldest = 0;
                for (var i = 0; i < _hours.Length; i++)
                {
                    if (_hours[i].Admitted is not null && _hours[i].Hour == hour)
                    {
                        slot = i;
                        break;
                    }

                    if (_hours[i].Admitted is null || (_hours[oldest].Admitted is not null && _hours[i].Hour < _hours[oldest].Hour))
                    {
                        oldest = i;
                    }
                }

                if (slot < 0)
                {
                    slot = oldest;
                    _hours[slot] = (hour, new List<Guid>());
                }

                var admitted = _hours[slot].Admitted;
                if (admitted.Contains(resultId))
                {
                    return true;
                }

                if (admitted.Count >= allowed)
                {
                    return false;
                }

                admitted.Add(resultId);
                return true;
            }
        }
    }
}
