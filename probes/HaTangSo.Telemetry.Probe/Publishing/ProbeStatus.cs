using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Probe.Publishing;

/// <summary>What the retained status message reports; updated by the agent, read by the publisher.</summary>
internal sealed class ProbeStatus(string probeId, IReadOnlyList<LinkInfo> links)
{
    private readonly Lock _lock = new();
    private DateTimeOffset? _lastResultAt;
    private string? _lastError;

    /// <summary>Records a finished test (its error, if any, becomes the last error).</summary>
    public void ResultProduced(DateTimeOffset at, string? error)
    {
        lock (_lock)
        {
            _lastResultAt = at;
            _lastError = error ?? _lastError;
        }
    }

    /// <summary>Records a problem outside a test (the queue, the broker).</summary>
    public void Error(string error)
    {
        lock (_lock)
        {
            _lastError = error;
        }
    }

    /// <summary>The message for the given state.</summary>
    public StatusMessage ToMessage(string state, DateTimeOffset now, long queueDepth, long queueEvicted)
    {
        lock (_lock)
        {
            return new StatusMessage
            {
                ProbeId = probeId,
                State = state,
                At = now,
                AgentVersion = Measurement.ResultFactory.AgentVersion,
                Links = links,
                QueueDepth = queueDepth,
                QueueEvicted = queueEvicted,
                LastResultAt = _lastResultAt,
                LastError = _lastError is { Length: > ResultLimits.MaxErrorString } e ? e[..ResultLimits.MaxErrorString] : _lastError,
            };
        }
    }
}
