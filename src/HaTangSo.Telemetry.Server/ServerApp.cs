using HaTangSo.Telemetry.Server.Api;
using HaTangSo.Telemetry.Server.Influx;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Jobs;
using HaTangSo.Telemetry.Server.Provisioning;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Server.Releases;
using HaTangSo.Telemetry.Server.Resilience;

namespace HaTangSo.Telemetry.Server;

/// <summary>The server's composition, shared by <c>Program</c> and the in-process tests (which swap the clock).</summary>
internal static class ServerApp
{
    /// <summary>Registers every part of the server.</summary>
    public static WebApplicationBuilder AddServer(this WebApplicationBuilder builder)
    {
        builder.AddSecretFiles();
        builder.AddServerDiagnostics();
        builder.AddResilience();
        builder.AddRegistry();
        builder.AddProvisioning();
        builder.AddInflux();
        builder.AddIngestion();
        Fleet.FleetExtensions.AddFleet(builder);
        builder.AddJobs();
        builder.AddApi();
        builder.AddReleases();
        return builder;
    }

    /// <summary>Maps health, metrics, the API, OpenAPI and the Hangfire dashboard.</summary>
    public static WebApplication MapServer(this WebApplication app)
    {
        app.MapServerDiagnostics();
        app.MapApi();
        app.MapJobs();
        app.MapReleases();
        return app;
    }
}
