using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Probe.Publishing;

/// <summary>What the retained status message reports; updated by the agent, read by the publisher.</summary>
internal sealed class ProbeStatus(string probeId, IReadOnlyList<LinkInfo> links)
{
    private readonly Lock _lock = new();
    private DateTimeOffset? _lastResultAt;
    private string? _lastError;
    private int _changed;

    /// <summary>The measurement configuration whose version and refusal the status reports (issue 15.1).</summary>
    public Fleet.ActiveConfig? Config { get; set; }

    /// <summary>The upgrade state directory (<c>upgrade.stateDirectory</c>) whose last upgrade the status reports; null: upgrades are off.</summary>
    public string? UpgradeStateDirectory { get; init; }

    /// <summary>Asks for a status publication before the next periodic one (a configuration applied or refused).</summary>
    public void MarkChanged() => Interlocked.Exchange(ref _changed, 1);

    /// <summary>True once after <see cref="MarkChanged"/>.</summary>
    public bool TakeChanged() => Interlocked.Exchange(ref _changed, 0) == 1;

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
                ConfigVersion = Config?.Plan?.Version,
                ConfigError = Config?.Refusal,
                Upgrade = UpgradeStateDirectory is null ? null : Upgrade.UpgradeStateFile.Read(UpgradeStateDirectory)?.ToStatus(),
            };
        }
    }
}
