using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>
/// The registry held in memory for ingestion: probes (with their links) and speed-test servers, read on every result
/// without a database round trip, reloaded when PostgreSQL notifies a change, on a timer, and (rate-limited) when a
/// result names a probe it does not know yet. Everything a result may write as a tag is looked up here.
/// </summary>
internal sealed class ProbeDirectory(
    RegistryStore store,
    SpeedTestServerStore servers,
    TimeProvider timeProvider,
    IOptions<RegistryOptions> options,
    ILogger<ProbeDirectory> logger) : IDisposable
{
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private FrozenDictionary<string, ProbeLocation> _probes = FrozenDictionary<string, ProbeLocation>.Empty;
    private FrozenDictionary<string, SpeedTestServer> _servers = FrozenDictionary<string, SpeedTestServer>.Empty;
    private long _lastReload = long.MinValue;

    /// <summary>Whether the registry has been loaded at least once.</summary>
    public bool IsLoaded { get; private set; }

    /// <summary>How many probes are registered.</summary>
    public int Count => _probes.Count;

    public bool TryGet(string probeId, out ProbeLocation location) =>
        _probes.TryGetValue(probeId, out location!);

    /// <summary>The registered speed-test server <paramref name="id"/> (enabled or not).</summary>
    public bool TryGetServer(string id, out SpeedTestServer server) =>
        _servers.TryGetValue(id, out server!);

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloadLock.WaitAsync(cancellationToken);
        try
        {
            var locations = await store.LoadLocationsAsync(cancellationToken);
            var registered = await servers.ListAsync(cancellationToken);
            Replace(locations, registered);
            _lastReload = timeProvider.GetTimestamp();
            logger.RegistryReloaded(_probes.Count);
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    public void Dispose() => _reloadLock.Dispose();

    /// <summary>Installs a registry snapshot (the reload's, or a test's).</summary>
    internal void Replace(IEnumerable<ProbeLocation> probes, IEnumerable<SpeedTestServer> speedTestServers)
    {
        _probes = probes.ToFrozenDictionary(l => l.ProbeId, StringComparer.Ordinal);
        _servers = speedTestServers.ToFrozenDictionary(s => s.Id, StringComparer.Ordinal);
        IsLoaded = true;
    }

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
