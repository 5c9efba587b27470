using System.Net;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Server.Releases;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.Probe.Tests.Upgrade;

/// <summary>The server's release endpoints: allow-listed paths only, <c>latest</c> as a redirect, immutable versions.</summary>
public sealed class ReleaseEndpointTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("hts-releases-").FullName;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false });
    private ReleaseServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await ReleaseServer.StartAsync(_root, Ct);
        var (privatePem, _) = ReleaseSignature.CreateKeyPair();
        using var key = ReleaseSignature.LoadPrivateKey(privatePem);
        var signer = new ReleaseSigner(key, new FakeTimeProvider());
        var binary = Path.Combine(_root, "build");
        await File.WriteAllTextAsync(binary, "#!/bin/sh\n", Ct);
        foreach (var version in new[] { "0.2.0", "0.9.0", "0.10.0-rc.1" })
        {
            Assert.StartsWith("Signed", await signer.SignAsync(binary, ProbeArchitecture.LinuxX64, ReleaseVersion.Parse(version), _root, Ct), StringComparison.Ordinal);
        }

        // A directory that is not a release must not become the latest.
        Directory.CreateDirectory(Path.Combine(_root, "linux-x64", "9.9.9"));
        // A published version is never replaced.
        Assert.StartsWith("Refused", await signer.SignAsync(binary, ProbeArchitecture.LinuxX64, ReleaseVersion.Parse("0.2.0"), _root, Ct), StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Get_Latest_RedirectsToTheNewestCompleteRelease()
    {
        using var response = await _http.GetAsync(new Uri(_server.ReleasesUrl, "linux-x64/latest/manifest.json.sig"), Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/probe-releases/linux-x64/0.10.0-rc.1/manifest.json.sig", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Get_PublishedFile_ServedWithRangesAndAsImmutable()
    {
        using var response = await _http.GetAsync(new Uri(_server.ReleasesUrl, "linux-x64/0.2.0/manifest.json"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("bytes", string.Join(",", response.Headers.AcceptRanges));
        Assert.True(response.Headers.CacheControl!.Public);
        Assert.True(ReleaseManifestParser.Parse(await response.Content.ReadAsByteArrayAsync(Ct)).IsValid);
    }

    [Theory]
    [InlineData("windows-x64/0.2.0/hts-probe", "architecture")]
    [InlineData("LINUX-X64/0.2.0/hts-probe", "architecture")]
    [InlineData("linux-x64/0.2.0/hts-probe.previous", "file")]
    [InlineData("linux-x64/0.2.0/..%2F..%2Fbuild", "file")]
    [InlineData("linux-x64/..%2F0.2.0/hts-probe", "version")]
    [InlineData("linux-x64/0.2.0+x/hts-probe", "version")]
    [InlineData("linux-x64/00.2.0/hts-probe", "version")]
    public async Task Get_NotOnTheAllowList_400NamingTheField(string path, string field)
    {
        using var response = await _http.GetAsync(new Uri(_server.ReleasesUrl + path), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData("linux-x64/0.2.0/%2E%2E")]
    [InlineData("linux-x64/%2E%2E/hts-probe")]
    [InlineData("linux-x64/0.2.0/%2E%2E/%2E%2E/build")]
    [InlineData("linux-x64/0.3.0/hts-probe")]
    [InlineData("linux-x64/9.9.9/manifest.json")]
    [InlineData("linux-arm64/latest/manifest.json")]
    public async Task Get_NoSuchReleaseOrDotSegments_404(string path)
    {
        using var response = await _http.GetAsync(new Uri(_server.ReleasesUrl + path), Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
