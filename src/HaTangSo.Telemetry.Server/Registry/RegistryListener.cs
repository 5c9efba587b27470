using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>
/// Keeps <see cref="ProbeDirectory"/> current: <c>LISTEN hts_registry_changed</c> (the triggers of
/// migration 0001 notify every instance) plus a periodic reload as a safety net. The first notification reloads at once;
/// notifications that arrive while a reload runs are one signal, and the next reload waits <see cref="GatherPause"/>
/// first. Changes come in bursts (a registration notifies for its probe, its links and its configuration; a bulk
/// registration thousands of times): a reload per notification was a full read of the registry per notification,
/// O(probes²) after a bulk registration (issue 16: 500 registrations made 1,423 reloads during the peer harness's window,
/// PostgreSQL's largest cost there, more than the result-id store).
/// </summary>
internal sealed class RegistryListener(
    NpgsqlDataSource dataSource,
    ProbeDirectory directory,
    TimeProvider timeProvider,
    IOptions<RegistryOptions> options,
    ILogger<RegistryListener> logger) : BackgroundService
{
    /// <summary>The pause before a reload that follows another one (a burst of changes).</summary>
    internal static readonly TimeSpan GatherPause = TimeSpan.FromMilliseconds(200);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retryDelay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
                connection.Notification += (_, _) => changed.Writer.TryWrite(true);
                await using (var listen = new NpgsqlCommand("LISTEN hts_registry_changed", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Anything changed while we were not listening is picked up here.
                await directory.ReloadAsync(stoppingToken);
                retryDelay = TimeSpan.FromSeconds(1);
                using var listening = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var pump = PumpAsync(connection, listening.Token);
                try
                {
                    while (!stoppingToken.IsCancellationRequested)
                    {
                        using var refresh = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                        refresh.CancelAfter(options.Value.RefreshInterval);
                        var woken = changed.Reader.WaitToReadAsync(refresh.Token).AsTask();
                        if (await Task.WhenAny(woken, pump) == pump)
                        {
                            await pump; // the connection failed: its exception goes to the retry below
                        }

                        // A notification, or the periodic reload (the wait cancelled).
                        await ((Task)woken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                        changed.Reader.TryRead(out _);
                        await directory.ReloadAsync(stoppingToken);
                        if (changed.Reader.TryPeek(out _))
                        {
                            // More came while reloading: a burst. Let it gather before the next full read. Real time, like
                            // the refresh: the pace of the database, not of the domain clock.
                            await Task.Delay(GatherPause, stoppingToken);
                        }
                    }
                }
                finally
                {
                    await listening.CancelAsync();
                    await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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

    // Reads the connection's notifications as they come (each sets the signal); ends only by cancellation or a failure.
    private static async Task PumpAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            await connection.WaitAsync(cancellationToken);
        }
    }
}
