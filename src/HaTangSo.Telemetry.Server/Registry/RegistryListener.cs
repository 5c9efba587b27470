using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>
/// Keeps <see cref="ProbeDirectory"/> current: <c>LISTEN hts_registry_changed</c> (the triggers of
/// migration 0001 notify every instance) plus a periodic reload as a safety net.
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
}
