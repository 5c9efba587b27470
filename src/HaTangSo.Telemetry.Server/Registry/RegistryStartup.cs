using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>
/// Brings the database up to date before anything else runs: migrations, then the region catalogue, then
/// the first registry load. Waits (and says so) while PostgreSQL is unreachable.
/// </summary>
internal sealed class RegistryStartup(
    MigrationRunner migrations,
    Catalogue.CatalogueLoader catalogue,
    ProbeDirectory directory,
    TimeProvider timeProvider,
    IOptions<RegistryOptions> options,
    ILogger<RegistryStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await migrations.ApplyAsync(cancellationToken);
                if (options.Value.SeedCatalog)
                {
                    await catalogue.LoadAsync(cancellationToken);
                }

                await directory.ReloadAsync(cancellationToken);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException or TimeoutException)
            {
                logger.DatabaseUnavailableAtStartup(ex, delay);
                await Task.Delay(delay, timeProvider, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
