using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace HaTangSo.Telemetry.Server.Diagnostics;

/// <summary>OpenTelemetry metrics and traces, Prometheus scraping, and the health endpoint.</summary>
internal static class DiagnosticsExtensions
{
    public static IHostApplicationBuilder AddServerDiagnostics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IngestionMetrics>();
        builder.Services.AddSingleton<DataFreshness>();
        builder.Services.AddSingleton<BrokerMetrics>();
        builder.Services.AddSingleton<JobMetrics>();
        builder.Services.AddHostedService(s => s.GetRequiredService<JobMetrics>());
        // The server's meter is enabled through the host's metrics builder, not the provider's AddMeter: that rule matches
        // only meters made by this host's IMeterFactory, while AddMeter listens to every meter of the name in the process
        // (several servers in one test process then exported each other's counters, and one's disposal removed the
        // other's gauges). One server per process in production behaves the same either way.
        builder.Metrics.EnableMetrics(IngestionMetrics.MeterName);
        var otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("hts-server", serviceVersion: typeof(Log).Assembly.GetName().Version?.ToString()))
            .WithMetrics(m =>
            {
                // The runtime's own meter (GC, heap, JIT, thread pool, exceptions: dotnet_gc_*, dotnet_jit_*, ...) is one per
                // process by nature, so it is added by name.
                m.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddMeter("System.Runtime").AddPrometheusExporter();
                if (otlp)
                {
                    m.AddOtlpExporter();
                }
            })
            .WithTracing(t =>
            {
                t.AddSource(IngestionMetrics.MeterName).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (otlp)
                {
                    t.AddOtlpExporter();
                }
            });
        builder.Services.AddHealthChecks()
            .AddCheck<MqttHealthCheck>("mqtt")
            .AddCheck<InfluxHealthCheck>("influxdb")
            .AddCheck<PostgresHealthCheck>("postgresql");
        return builder;
    }

    public static WebApplication MapServerDiagnostics(this WebApplication app)
    {
        // Anonymous by decision (README, "The HTTP surface"): load balancers and orchestrators ask /health and
        // /health/live without a key (an anonymous caller sees the status only), and Prometheus scrapes /metrics,
        // which holds counters without probe ids or payloads. Every other route needs a key (the fallback policy).
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthResponse.WriteAsync }).AllowAnonymous();
        app.MapLiveness().AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        // Observable instruments exist once their owner does: create the ones nothing else asks for.
        _ = app.Services.GetRequiredService<DataFreshness>();
        _ = app.Services.GetRequiredService<BrokerMetrics>();
        return app;
    }
}
