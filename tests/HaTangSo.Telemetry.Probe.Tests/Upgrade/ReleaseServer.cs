using System.Net;
using System.Security.Cryptography.X509Certificates;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Server.Releases;
using HaTangSo.Telemetry.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Tests.Upgrade;

/// <summary>
/// The server's release endpoints (<see cref="ReleasesApi"/>, <see cref="ReleaseStore"/>) on a loopback Kestrel, serving
/// a temporary releases directory that <see cref="ReleaseSigner"/> fills: the code the server runs, without its
/// databases.
/// </summary>
public sealed class ReleaseServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ReleaseServer(WebApplication app, string directory, Uri releasesUrl)
    {
        _app = app;
        Directory = directory;
        ReleasesUrl = releasesUrl;
    }

    /// <summary>The releases directory (<c>Releases:Directory</c>).</summary>
    public string Directory { get; }

    /// <summary><c>http://127.0.0.1:{port}/probe-releases/</c>.</summary>
    public Uri ReleasesUrl { get; }

    /// <summary>Starts the endpoints over HTTP, or over HTTPS with <paramref name="certificate"/>.</summary>
    public static async Task<ReleaseServer> StartAsync(string directory, CancellationToken cancellationToken, X509Certificate2? certificate = null)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port, l =>
        {
            if (certificate is not null)
            {
                l.UseHttps(certificate);
            }
        }));
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Services.Configure<ReleaseOptions>(o => o.Directory = directory);
        builder.Services.AddSingleton<ReleaseStore>();
        var app = builder.Build();
        app.MapProbeReleases();
        await app.StartAsync(cancellationToken);
        var scheme = certificate is null ? "http" : "https";
        return new ReleaseServer(app, directory, new Uri($"{scheme}://127.0.0.1:{port}{ReleasesApi.Prefix}/"));
    }

    /// <summary>The manifest URL of a release.</summary>
    public Uri Manifest(ProbeArchitecture architecture, string version) =>
        new(ReleasesUrl, $"{architecture.Name()}/{version}/{ReleaseManifest.FileName}");

    /// <summary>The directory of a published release.</summary>
    public string ReleaseDirectory(ProbeArchitecture architecture, string version) => Path.Combine(Directory, architecture.Name(), version);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
