using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>
/// Keeps <see cref="ProbeDirectory"/> current: <c>LISTEN hts_registry_changed</c> (the triggers of
/// migration 0001 notify every instance) plus a periodic reload as a safety net. Notifications are gathered while they
/// keep coming (up to <see cref="GatherLimit"/>), then the registry is reloaded once: a reload reads everything committed
/// before it starts, and changes come in bursts (one registration notifies for its probe, its links and its
/// configuration in separate statements; a bulk registration thousands of times), so a reload per notification was a
/// full read of the registry per notification — O(probes²) after a bulk registration (issue 16: 500 registrations
/// kept PostgreSQL busy for 47 s with 1,423 reloads, more CPU than the ingestion it overlapped).
/// </summary>
internal sealed class RegistryListener(
    NpgsqlDataSource dataSource,
    ProbeDirectory directory,
    TimeProvider timeProvider,
    IOptions<RegistryOptions> options,
    ILogger<RegistryListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retryDelay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                var changed = 0;
                connection.Notification += (_, _) => Interlocked.Exchange(ref changed, 1);
                await using (var listen = new NpgsqlCommand("LISTEN hts_registry_changed", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Anything changed while we were not listening is picked up here.
                await directory.ReloadAsync(stoppingToken);
                retryDelay = TimeSpan.FromSeconds(1);
                while (!stoppingToken.IsCancellationRequested)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    timeout.CancelAfter(options.Value.RefreshInterval);
                    try
                    {
                        await connection.WaitAsync(timeout.Token);
                        await GatherAsync(connection, stoppingToken);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        // The periodic reload.
                    }

                    Interlocked.Exchange(ref changed, 0);
                    await directory.ReloadAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or IOException)
            {
                logger.RegistryListenFailed(ex, retryDelay);
                await Task.Delay(retryDelay, timeProvider, stoppingToken);
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // A registry the server cannot read (a bad row): keep the last good one, say so, try again; never end the host.
                logger.RegistryReloadFailed(ex, retryDelay);
                await Task.Delay(retryDelay, timeProvider, stoppingToken);
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    /// <summary>How long the listener waits for a further notification of the same burst.</summary>
    internal static readonly TimeSpan GatherQuiet = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest a burst is gathered before the reload (a steady trickle still reloads this often).</summary>
    internal static readonly TimeSpan GatherLimit = TimeSpan.FromSeconds(1);

    // After the first notification of a burst: take the notifications that follow it within GatherQuiet of each
    // other, for at most GatherLimit. A notification that arrives after this returns (while the reload runs) wakes the
    // next round, so no change is missed; a change becomes visible at most about GatherLimit later than before.
    private async Task GatherAsync(NpgsqlConnection connection, CancellationToken stoppingToken)
    {
        var started = timeProvider.GetTimestamp();
        while (timeProvider.GetElapsedTime(started) < GatherLimit && await connection.WaitAsync(GatherQuiet, stoppingToken))
        {
        }
    }
}
