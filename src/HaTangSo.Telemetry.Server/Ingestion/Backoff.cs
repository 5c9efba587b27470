namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>Exponential backoff on a <see cref="TimeProvider"/>: the first delay, doubling to a ceiling.</summary>
internal sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly TimeProvider _timeProvider;
    private TimeSpan _next;

    public Backoff(TimeSpan initial, TimeSpan max, TimeProvider timeProvider)
    {
        _initial = initial;
        _max = max;
        _timeProvider = timeProvider;
        _next = initial;
    }

    public TimeSpan Next => _next;

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, _max.Ticks));
        await Task.Delay(delay, _timeProvider, cancellationToken);
    }

    public void Reset() => _next = _initial;
}
