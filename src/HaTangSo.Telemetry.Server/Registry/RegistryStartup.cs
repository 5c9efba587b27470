using HaTangSo.Telemetry.Server.Resilience;
using HaTangSo.Telemetry.Server.Provisioning;
using Microsoft.Extensions.Options;
using Polly.Registry;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>
/// Brings the database up to date before anything else runs: migrations, then the region catalogue, then the
/// speed-test server that enrolment hands to probes (<c>Provisioning:SpeedTestId</c>, <c>SpeedTestUrl</c>; registered if
/// missing, so probes enrolled here are not refused for naming it), then the first registry load. Waits (and says so)
/// while PostgreSQL is unreachable (the PostgreSQL pipeline); a permanent error — a failed migration, a bad catalogue —
/// stops start-up with its reason.
/// </summary>
internal sealed class RegistryStartup(
    MigrationRunner migrations,
    Catalogue.CatalogueLoader catalogue,
    SpeedTestServerStore servers,
    ProbeDirectory directory,
    ResiliencePipelineProvider<Dependency> pipelines,
    IOptions<RegistryOptions> options,
    IOptions<ProvisioningOptions> provisioning,
    ILogger<RegistryStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        pipelines.ExecuteAsync(Dependency.PostgreSql, "registry start-up", async ct =>
        {
            await migrations.ApplyAsync(ct);
            if (options.Value.SeedCatalog)
            {
                await catalogue.LoadAsync(ct);
            }

            await SeedSpeedTestServerAsync(ct);
            await directory.ReloadAsync(ct);
        }, cancellationToken).AsTask();

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
