using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace HaTangSo.Telemetry.Server.Diagnostics;

/// <summary>
/// <c>GET /health/live</c>: 200 while the process serves HTTP, whatever the state of the broker, InfluxDB or
/// PostgreSQL. For a liveness probe (Kubernetes, Docker): restarting the server does not bring a dependency back,
/// and results wait on the broker meanwhile, so only a hung process should be restarted. <c>/health</c> (every
/// dependency) stays the readiness check.
/// </summary>
internal static class LivenessEndpoint
{
    public const string Path = "/health/live";

    public static IEndpointConventionBuilder MapLiveness(this WebApplication app) =>
        // No check runs (the predicate selects none): the answer only proves the host is responsive.
        app.MapHealthChecks(Path, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponse.WriteAsync });
}
