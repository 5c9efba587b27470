using HaTangSo.Telemetry.Server.Resilience;
using Microsoft.Extensions.Options;
using Polly.Registry;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>
/// Brings the database up to date before anything else runs: migrations, then the region catalogue, then the first
/// registry load. Waits (and says so) while PostgreSQL is unreachable (the PostgreSQL pipeline); a permanent error —
/// a failed migration, a bad catalogue — stops start-up with its reason.
/// </summary>
internal sealed class RegistryStartup(
    MigrationRunner migrations,
    Catalogue.CatalogueLoader catalogue,
    ProbeDirectory directory,
    ResiliencePipelineProvider<Dependency> pipelines,
    IOptions<RegistryOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        pipelines.ExecuteAsync(Dependency.PostgreSql, "registry start-up", async ct =>
        {
            await migrations.ApplyAsync(ct);
            if (options.Value.SeedCatalog)
            {
                await catalogue.LoadAsync(ct);
            }

            await directory.ReloadAsync(ct);
        }, cancellationToken).AsTask();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
