namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>Exponential backoff on a <see cref="TimeProvider"/>: the first delay, doubling to a ceiling.</summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan max, TimeProvider timeProvider)
{
    private TimeSpan _next = initial;

    public TimeSpan Next => _next;

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, max.Ticks));
        await Task.Delay(delay, timeProvider, cancellationToken);
    }

    public void Reset() => _next = initial;
}
