using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Server.Registry.Catalogue;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests;

/// <summary>
/// Test databases that start with the server's migrations applied and the region catalogue loaded: the first call
/// builds one template database (the catalogue's first load costs seconds), every database after that is a copy of it
/// (<c>CREATE DATABASE ... TEMPLATE</c>), so a server starting on it finds the catalogue unchanged.
/// </summary>
internal static class CataloguedDatabases
{
    private const string Template = "hts_catalogued_template";
    private static readonly SemaphoreSlim s_lock = new(1, 1);
    private static PostgresServer? s_prepared;

    /// <summary>A fresh database with migrations and catalogue, as a server that ran once leaves it.</summary>
    public static async Task<string> NewCataloguedDatabaseAsync(this PostgresFixture postgres, CancellationToken cancellationToken)
    {
        await s_lock.WaitAsync(cancellationToken);
        try
        {
            if (!ReferenceEquals(s_prepared, postgres.Server))
            {
                var connectionString = await postgres.Server.CreateDatabaseAsync(Template, cancellationToken: cancellationToken);
                await using (var dataSource = NpgsqlDataSource.Create(connectionString))
                {
                    await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(cancellationToken);
                    await new CatalogueLoader(dataSource, Options.Create(new RegistryOptions()), TimeProvider.System, NullLogger<CatalogueLoader>.Instance)
                        .LoadAsync(cancellationToken);
                }

                // A template may have no open connection while it is copied.
                NpgsqlConnection.ClearAllPools();
                s_prepared = postgres.Server;
            }

            return await postgres.Server.CreateDatabaseAsync(template: Template, cancellationToken: cancellationToken);
        }
        finally
        {
            s_lock.Release();
        }
    }
}
