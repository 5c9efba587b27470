using HaTangSo.Telemetry.SpeedTest.Http;
using HaTangSo.Telemetry.SpeedTest.UdpEcho;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.SpeedTest;

/// <summary>Wires the speed-test server.</summary>
internal static class SpeedTestExtensions
{
    /// <summary>Options, Kestrel limits, the random payload and the UDP echo responder.</summary>
    public static void AddSpeedTest(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<SpeedTestOptions>()
            .Bind(builder.Configuration.GetSection(SpeedTestOptions.SectionName));
        builder.Services.AddSingleton<IValidateOptions<SpeedTestOptions>, SpeedTestOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RandomPayload>();
        builder.Services.AddSingleton<UdpTokens>();
        builder.Services.AddHostedService<UdpEchoService>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Kestrel is configured while the host is built, before SpeedTestHost validates the options and names a
            // bad key: read them here without validating, and leave Kestrel alone when they are invalid.
            var settings = builder.Configuration.GetSection(SpeedTestOptions.SectionName).Get<SpeedTestOptions>() ?? new SpeedTestOptions();
            if (!new SpeedTestOptionsValidator().Validate(null, settings).Succeeded)
            {
                return;
            }

            kestrel.Limits.MaxConcurrentConnections = settings.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = 0;
            // A real link, even a slow mobile one, moves far more than this; a client trickling bytes to hold a
            // connection (slowloris) does not. /empty sets its own body size limit (uploads stream for the whole test).
            var rate = settings.MinDataRateBytesPerSecond == 0 ? null : new MinDataRate(settings.MinDataRateBytesPerSecond, settings.MinDataRateGracePeriod);
            kestrel.Limits.MinRequestBodyDataRate = rate;
            kestrel.Limits.MinResponseDataRate = rate;
            kestrel.AddServerHeader = false;
            var limiter = new ClientConnectionLimiter(
                settings.MaxConnectionsPerClient, kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger<ClientConnectionLimiter>());
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(limiter.Middleware));
        });
    }

    /// <summary>The LibreSpeed-compatible endpoints and <c>/health</c>.</summary>
    public static void MapSpeedTest(this WebApplication app)
    {
        app.MapLibreSpeed(string.Empty, ".");
        app.MapLibreSpeed("/backend", ".php");
        app.MapGet("/health", () => Results.Text("ok"));
    }
}
