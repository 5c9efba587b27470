using HaTangSo.Telemetry.Contracts.Releases;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Releases;

/// <summary>Wires signed probe releases: the options, the store and the download endpoints.</summary>
internal static class ReleasesExtensions
{
    public static IHostApplicationBuilder AddReleases(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<ReleaseOptions>().BindConfiguration(ReleaseOptions.SectionName);
        builder.Services.AddSingleton<IValidateOptions<ReleaseOptions>, ReleaseOptionsValidator>();
        builder.Services.AddSingleton<ReleaseStore>();
        return builder;
    }

    /// <summary>
    /// Maps the release endpoints only when <c>Releases:Directory</c> is set: a server that offers no releases has no
    /// anonymous route beyond health and metrics. The raw setting decides here; its validation runs at start
    /// (ValidateOnStart), where a bad value is reported naming the key rather than thrown from the mapping.
    /// </summary>
    public static WebApplication MapReleases(this WebApplication app)
    {
        if (string.IsNullOrEmpty(app.Configuration[ReleaseOptions.SectionName + ":" + nameof(ReleaseOptions.Directory)]))
        {
            return app;
        }

        app.MapProbeReleases();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var store = app.Services.GetRequiredService<ReleaseStore>();
            var directory = app.Services.GetRequiredService<IOptions<ReleaseOptions>>().Value.Directory!;
            app.Logger.ReleasesOffered(directory, string.Join(", ", ProbeArchitectures.All.Select(a => $"{a.Name()} {store.Latest(a)?.Text ?? "none"}")));
        });
        return app;
    }
}
