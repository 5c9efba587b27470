using HaTangSo.Telemetry.Server.Provisioning;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>
/// Brings the database up to date before anything else runs: migrations, then the region catalogue, then the
/// speed-test server that enrolment hands to probes (<c>Provisioning:SpeedTestId</c>, <c>SpeedTestUrl</c>; registered if
/// missing, so probes enrolled here are not refused for naming it), then the first registry load. Waits (and says so)
/// while PostgreSQL is unreachable.
/// </summary>
internal sealed class RegistryStartup(
    MigrationRunner migrations,
    CatalogSeeder seeder,
    SpeedTestServerStore servers,
    ProbeDirectory directory,
    TimeProvider timeProvider,
    IOptions<RegistryOptions> options,
    IOptions<ProvisioningOptions> provisioning,
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
                    await seeder.SeedAsync(cancellationToken);
                }

                await SeedSpeedTestServerAsync(cancellationToken);

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

    private async Task SeedSpeedTestServerAsync(CancellationToken cancellationToken)
    {
        var id = provisioning.Value.SpeedTestId;
        var url = provisioning.Value.SpeedTestUrl;
        if (!Contracts.NameRules.IsValid(Contracts.NameKind.ServerId, id) || url is not { IsAbsoluteUri: true })
        {
            return;
        }

        // A 10 GbE port: the usual data-centre attachment; the operator sets the real figure.
        if (await servers.AddIfMissingAsync(id, "Máy chủ đo tốc độ " + id, url, DefaultCapacityMbps, cancellationToken))
        {
            logger.SpeedTestServerSeeded(id, url);
        }
    }

    /// <summary>The capacity a speed-test server registered at start-up gets until an operator sets its own.</summary>
    public const double DefaultCapacityMbps = 10_000;
}
