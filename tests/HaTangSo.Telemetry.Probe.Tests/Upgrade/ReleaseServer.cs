using System.Net;
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

    public static async Task<ReleaseServer> StartAsync(string directory, CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services.Configure<ReleaseOptions>(o => o.Directory = directory);
        builder.Services.AddSingleton<ReleaseStore>();
        var app = builder.Build();
        app.MapProbeReleases();
        await app.StartAsync(cancellationToken);
        return new ReleaseServer(app, directory, new Uri($"http://127.0.0.1:{port}{ReleasesApi.Prefix}/"));
    }

    /// <summary>The manifest URL of a release.</summary>
    public Uri Manifest(ProbeArchitecture architecture, string version) =>
        new(ReleasesUrl, $"{architecture.Name()}/{version}/{ReleaseManifest.FileName}");

    /// <summary>The directory of a published release.</summary>
    public string ReleaseDirectory(ProbeArchitecture architecture, string version) => Path.Combine(Directory, architecture.Name(), version);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
