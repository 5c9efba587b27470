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
    /// anonymous route beyond health and metrics.
    /// </summary>
    public static WebApplication MapReleases(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ReleaseOptions>>().Value.Directory is not { } directory)
        {
            return app;
        }

        app.MapProbeReleases();
        var store = app.Services.GetRequiredService<ReleaseStore>();
        var offered = ProbeArchitectures.All.Select(a => $"{a.Name()} {store.Latest(a)?.Text ?? "none"}");
        app.Logger.ReleasesOffered(directory, string.Join(", ", offered));
        return app;
    }
}
