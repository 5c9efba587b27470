using HaTangSo.Telemetry.SpeedTest.Http;
using HaTangSo.Telemetry.SpeedTest.UdpEcho;
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
        builder.Services.AddHostedService<UdpEchoService>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Uploads are streamed for the whole test (chunked, no length): /empty lifts the body size limit
            // per request; a slow mobile link must not be cut by the minimum data rate either.
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.AddServerHeader = false;
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
