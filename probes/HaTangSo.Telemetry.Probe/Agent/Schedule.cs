namespace HaTangSo.Telemetry.Probe.Agent;

/// <summary>
/// When each link is tested: every <c>interval</c>, at an offset drawn at random once per link, so a fleet
/// of probes started together does not test in step (and does not load the speed-test server in bursts).
/// </summary>
internal sealed class Schedule
{
    private readonly TimeSpan _interval;
    private readonly DateTimeOffset[] _due;

    /// <param name="links">How many links.</param>
    /// <param name="interval">Between two tests of a link.</param>
    /// <param name="now">The start.</param>
    /// <param name="random">Draws each link's offset in the interval; null: every link is due at <paramref name="now"/>.</param>
    public Schedule(int links, TimeSpan interval, DateTimeOffset now, Random? random)
    {
        _interval = interval;
        _due = new DateTimeOffset[links];
        for (var i = 0; i < links; i++)
        {
            _due[i] = now + TimeSpan.FromTicks((long)((random?.NextDouble() ?? 0) * interval.Ticks));
        }
    }

    /// <summary>The interval this schedule keeps.</summary>
    public TimeSpan Interval => _interval;

    /// <summary>The link due first and when.</summary>
    public (int Link, DateTimeOffset At) Next()
    {
        var link = 0;
        for (var i = 1; i < _due.Length; i++)
        {
            if (_due[i] < _due[link])
            {
                link = i;
            }
        }

        return (link, _due[link]);
    }

    /// <summary>
    /// Moves <paramref name="link"/> to its next slot after <paramref name="now"/>: slots missed while the box was
    /// off or a test ran long are skipped, not run back to back.
    /// </summary>
    public void Done(int link, DateTimeOffset now)
    {
        var next = _due[link] + _interval;
        if (next <= now)
        {
            next += TimeSpan.FromTicks(((now - next).Ticks / _interval.Ticks + 1) * _interval.Ticks);
        }

        _due[link] = next;
    }
}
