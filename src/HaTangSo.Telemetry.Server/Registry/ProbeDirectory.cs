using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>
/// The registry held in memory for enrichment: read on every result without a database round trip,
/// reloaded when PostgreSQL notifies a change, on a timer, and (rate-limited) when a result names a probe
/// it does not know yet.
/// </summary>
internal sealed class ProbeDirectory(
    RegistryStore store,
    TimeProvider timeProvider,
    IOptions<RegistryOptions> options,
    ILogger<ProbeDirectory> logger) : IDisposable
{
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private FrozenDictionary<string, ProbeLocation> _probes = FrozenDictionary<string, ProbeLocation>.Empty;
    private long _lastReload = long.MinValue;

    /// <summary>Whether the registry has been loaded at least once.</summary>
    public bool IsLoaded { get; private set; }

    /// <summary>How many probes are registered.</summary>
    public int Count => _probes.Count;

    public bool TryGet(string probeId, out ProbeLocation location) =>
        _probes.TryGetValue(probeId, out location!);

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloadLock.WaitAsync(cancellationToken);
        try
        {
            var locations = await store.LoadLocationsAsync(cancellationToken);
            _probes = locations.ToFrozenDictionary(l => l.ProbeId, StringComparer.Ordinal);
            _lastReload = timeProvider.GetTimestamp();
            IsLoaded = true;
            logger.RegistryReloaded(_probes.Count);
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    public void Dispose() => _reloadLock.Dispose();

    /// <summary>
    /// Reloads unless a reload happened within <see cref="RegistryOptions.MissReloadInterval"/>; returns
    /// whether it reloaded.
    /// </summary>
    public async Task<bool> ReloadAfterMissAsync(CancellationToken cancellationToken)
    {
        if (_lastReload != long.MinValue &&
            timeProvider.GetElapsedTime(_lastReload) < options.Value.MissReloadInterval)
        {
            return false;
        }

        await ReloadAsync(cancellationToken);
        return true;
    }
}
