using HaTangSo.Telemetry.Server.Quarantine;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>PostgreSQL: migrations, the region catalogue, the probe registry and the quarantine.</summary>
internal static class RegistryExtensions
{
    public static IHostApplicationBuilder AddRegistry(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("ConnectionStrings:Postgres is required (the PostgreSQL connection string).");
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException("ConnectionStrings:Postgres is not a valid PostgreSQL connection string: " + ex.Message, ex);
        }

        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString).Build());
        builder.Services.AddOptionsWithValidateOnStart<RegistryOptions>().BindConfiguration(RegistryOptions.SectionName);
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<RegistryOptions>, RegistryOptionsValidator>();
        builder.Services.AddSingleton<MigrationRunner>();
        builder.Services.AddSingleton<Catalogue.CatalogueLoader>();
        builder.Services.AddSingleton<Areas.AreaStore>();
        builder.Services.AddSingleton<RegistryStore>();
        builder.Services.AddSingleton<SpeedTestServerStore>();
        builder.Services.AddSingleton<ProbeDirectory>();
        builder.Services.AddSingleton<ProbeStatusStore>();
        builder.Services.AddSingleton<BrokerUpgradeStore>();
        builder.Services.AddSingleton<QuarantineStore>();
        builder.Services.AddHostedService<RegistryStartup>();
        builder.Services.AddHostedService<RegistryListener>();
        return builder;
    }
}
