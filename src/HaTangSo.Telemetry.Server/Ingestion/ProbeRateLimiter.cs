using System.Collections.Concurrent;
using System.Globalization;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Per-probe admission by measurement time. A probe tests each link once per schedule interval, so in any hour of
/// <c>startedAt</c> a link can honestly produce about 60 / schedule-minutes results; a broken or stolen probe
/// flooding results produces far more. Up to <see cref="IngestionOptions.ProbeRateLimitFactor"/> × the scheduled
/// count (plus <see cref="IngestionOptions.ProbeRateLimitBurst"/>, for manual runs) is admitted per link and hour, and
/// 24 times that per link and day; the excess goes to quarantine, never silently away. Counting by measurement time,
/// not arrival, lets a probe that was offline for days deliver its backlog at full speed (the
/// <see cref="ArrivalRateLimiter"/> bounds arrival).
/// <para>
/// Nothing a payload chooses can reset a count: the key is a registered probe and one of its registered links (checked
/// before this runs), the last three hours keep the ids they admitted (a redelivery is not counted twice), and every
/// day a result may still carry (<see cref="IngestionOptions.MaxResultAge"/>) keeps its count — so cycling
/// <c>startedAt</c> over many hours gains no more than the daily allowance. A link's state is dropped only once it has
/// been idle longer than the oldest accepted result. The count lives in this process: instances sharing the
/// subscription each admit up to the limit.
/// </para>
/// </summary>
internal sealed class ProbeRateLimiter(TimeProvider timeProvider, IOptions<IngestionOptions> options)
{
    private static readonly TimeSpan s_window = TimeSpan.FromHours(1);
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
    /// Admits the result of a registered link, or returns the refusal. A result already admitted in the last hours (a
    /// redelivery after a reconnect) is admitted again without counting.
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

        var perHour = AllowedPerHour(probe.ScheduleInterval);
        var hour = startedAt.UtcTicks - (startedAt.UtcTicks % s_window.Ticks);
        var days = (int)options.Value.MaxResultAge.TotalDays + 2;
        var windows = _links.GetOrAdd((probe.ProbeId, registeredLink), static (_, days) => new LinkWindows(days), days);
        var limit = windows.TryAdmit(hour, resultId, perHour, now);
        if (limit == Limit.None)
        {
            return null;
        }

        // The words only for a refusal: an admitted result costs no string.
        var every = string.Create(CultureInfo.InvariantCulture, $"(probe tests every {probe.ScheduleInterval.TotalMinutes:0.#} min)");
        return limit switch
        {
            Limit.Hour => new Refusal(RefusalKind.RateLimit, string.Create(CultureInfo.InvariantCulture,
                $"rate limit: more than {perHour} results for link '{registeredLink}' in the hour from {new DateTimeOffset(hour, TimeSpan.Zero):yyyy-MM-dd HH:mm} UTC {every}")),
            _ => new Refusal(RefusalKind.RateLimit, string.Create(CultureInfo.InvariantCulture,
                $"rate limit: more than {perHour * 24} results for link '{registeredLink}' on {new DateTimeOffset(hour, TimeSpan.Zero):yyyy-MM-dd} UTC {every}")),
        };
    }

    private void Sweep(long now)
    {
        Interlocked.Exchange(ref _lastSweep, now);
        var idle = options.Value.MaxResultAge + TimeSpan.FromDays(1);
        foreach (var (key, windows) in _links)
        {
            if (timeProvider.GetElapsedTime(windows.LastUsed, now) >= idle)
            {
                _links.TryRemove(key, out _);
            }
        }
    }

    private enum Limit
    {
        None,
        Hour,
        Day,
    }

    /// <summary>
    /// One link: the last three hours with the ids admitted in each, and a ring of per-day counts covering every day a
    /// result may carry (one slot per day, so no day can push another out).
    /// </summary>
    private sealed class LinkWindows(int days)
    {
        // Three hours are enough to recognise redeliveries: live results fill the current hour, a backlog replays hour
        // after hour in order.
        private readonly (long Hour, List<Guid> Admitted)[] _hours = new (long, List<Guid>)[3];
        private readonly int[] _day = new int[days];
        private readonly int[] _dayCount = new int[days];
        private long _lastUsed;

        public long LastUsed => Interlocked.Read(ref _lastUsed);

        public Limit TryAdmit(long hour, Guid resultId, int perHour, long now)
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
                    return Limit.None;
                }

                if (admitted.Count >= perHour)
                {
                    return Limit.Hour;
                }

                // Day numbers since 0001-01-01 (positive); the ring holds MaxResultAge + 2 days, all a result can name.
                var day = (int)(hour / TimeSpan.TicksPerDay);
                var daySlot = day % _day.Length;
                if (_day[daySlot] != day)
                {
                    (_day[daySlot], _dayCount[daySlot]) = (day, 0);
                }

                if (_dayCount[daySlot] >= perHour * 24)
                {
                    return Limit.Day;
                }

                _dayCount[daySlot]++;
                admitted.Add(resultId);
                return Limit.None;
            }
        }
    }
}
