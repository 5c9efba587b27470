using HaTangSo.Telemetry.Contracts.Releases;
using Microsoft.Net.Http.Headers;

namespace HaTangSo.Telemetry.Server.Releases;

/// <summary>
/// <c>GET /probe-releases/{architecture}/{version}/{file}</c>: a release's manifest, signature or binary;
/// <c>{version}</c> may be <c>latest</c>, answered by a redirect to the newest complete release so the three files a
/// probe fetches are always of one release even while a new one is published.
/// </summary>
/// <remarks>
/// Anonymous on purpose. The probe has no HTTP credential (its only secret is its broker password, which must not
/// travel to a second service), and nothing here needs one: the manifest is signed, the binary is checked against the
/// manifest's SHA-256 and size, and the probe binary is not secret. What an attacker gains from these endpoints is the
/// published binary and bandwidth; serve them behind the HTTPS reverse proxy (deploy/server) with its rate limits.
/// </remarks>
internal static class ReleasesApi
{
    public const string Prefix = "/probe-releases";

    public static IEndpointRouteBuilder MapProbeReleases(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Prefix + "/{architecture}/{version}/{file}", Get)
            .AllowAnonymous()
            .WithName("GetProbeRelease")
            .WithSummary("A signed probe release's manifest.json, manifest.json.sig or hts-probe (version may be 'latest')");
        return endpoints;
    }

    private static IResult Get(string architecture, string version, string file, ReleaseStore store, HttpContext context, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(ReleasesApi).FullName!);
        IResult Refuse(string field, string problem)
        {
            logger.ReleaseRequestRefused(field, problem);
            return Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [problem] }, title: "Not a release file");
        }

        if (!ProbeArchitectures.TryParse(architecture, out var arch))
        {
            return Refuse("architecture", "must be one of " + string.Join(", ", ProbeArchitectures.All.Select(a => a.Name())));
        }

        if (!ReleaseStore.TryParseFile(file, out var which))
        {
            return Refuse("file", $"must be {ReleaseManifest.FileName}, {ReleaseManifest.SignatureFileName} or {ReleaseManifest.BinaryFileName}");
        }

        if (version == "latest")
        {
            if (store.Latest(arch) is not { } latest)
            {
                return Results.NotFound();
            }

            context.Response.Headers.CacheControl = "no-cache";
            return Results.Redirect($"{Prefix}/{arch.Name()}/{latest.Text}/{ReleaseStore.FileName(which)}");
        }

        if (!ReleaseVersion.TryParse(version, allowBuildMetadata: false, out var parsed) || parsed!.Text != version)
        {
            return Refuse("version", "must be 'latest' or a Semantic Version without build metadata (1.4.0, 1.4.0-rc.1)");
        }

        if (store.Find(arch, parsed, which) is not { } path)
        {
            return Results.NotFound();
        }

        logger.ReleaseServed(arch.Name(), parsed.Text, ReleaseStore.FileName(which));
        // A published version never changes (release sign refuses to overwrite one), so caches may keep it.
        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        var contentType = which == ReleaseFile.Manifest ? "application/json" : "application/octet-stream";
        // Range requests let a download over a flaky mobile link resume where it broke.
        return Results.File(path, contentType, enableRangeProcessing: true);
    }
}
