using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Probe.Configuration;
using HaTangSo.Telemetry.Probe.Upgrade;
using HaTangSo.Telemetry.Server.Releases;
using Microsoft.Extensions.Logging.Abstractions;

namespace HaTangSo.Telemetry.Probe.Tests.Upgrade;

/// <summary>
/// The upgrader as the probe builds it from its configuration (<see cref="ProbeUpgrader.FromConfig"/>), against the
/// release endpoints over HTTPS with a certificate from the province's own CA (<c>upgrade.caFile</c>).
/// </summary>
[Collection(nameof(ProbeUpgraderTests))]
public sealed class UpgradeOverHttpsTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("hts-upgrade-https-").FullName;
    private ReleaseServer _server = null!;
    private string _caFile = null!;
    private string _publicKeyFile = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Test province CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        _caFile = Path.Combine(_root, "ca.crt");
        await File.WriteAllTextAsync(_caFile, ca.ExportCertificatePem(), Ct);

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=127.0.0.1", leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leafPublic = leafRequest.Create(ca, now.AddDays(-1), now.AddDays(29), RandomNumberGenerator.GetBytes(8));
        var leaf = leafPublic.CopyWithPrivateKey(leafKey);

        var (privatePem, publicPem) = ReleaseSignature.CreateKeyPair();
        _publicKeyFile = Path.Combine(_root, "upgrade-key.pem");
        await File.WriteAllTextAsync(_publicKeyFile, publicPem, Ct);
        Directory.CreateDirectory(Path.Combine(_root, "releases"));
        _server = await ReleaseServer.StartAsync(Path.Combine(_root, "releases"), Ct, leaf);

        using var signingKey = ReleaseSignature.LoadPrivateKey(privatePem);
        var build = FakeProbeBinary.Write(Path.Combine(_root, "build"), "99.0.0", 0);
        var answer = await new ReleaseSigner(signingKey, TimeProvider.System)
            .SignAsync(build, ProbeArchitectures.Current()!.Value, ReleaseVersion.Parse("99.0.0"), _server.Directory, Ct);
        Assert.StartsWith("Signed", answer, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task FromConfig_HttpsWithTheProvinceCa_InstallsTheLatestRelease()
    {
        var binary = FakeProbeBinary.Write(Path.Combine(_root, "hts-probe"), "0.1.0", 0);
        using var upgrader = ProbeUpgrader.FromConfig(Config(binary, _caFile), NullLogger.Instance, TimeProvider.System, out var whyNot);
        Assert.NotNull(upgrader);
        Assert.Null(whyNot);

        var order = UpgradeOrder.ForRelease(_server.ReleasesUrl, ProbeArchitectures.Current()!.Value, version: null);
        var outcome = await upgrader.UpgradeAsync(order, Ct);

        Assert.True(outcome.Result == UpgradeResult.Swapped, outcome.Detail);
        Assert.Equal("99.0.0", await FakeProbeBinary.VersionAsync(binary, Ct));
    }

    [Fact]
    public async Task FromConfig_HttpsWithoutTheCa_DownloadFailsAndNothingSwapped()
    {
        var binary = FakeProbeBinary.Write(Path.Combine(_root, "hts-probe"), "0.1.0", 0);
        using var upgrader = ProbeUpgrader.FromConfig(Config(binary, caFile: null), NullLogger.Instance, TimeProvider.System, out _);

        var outcome = await upgrader!.UpgradeAsync(UpgradeOrder.ForRelease(_server.ReleasesUrl, ProbeArchitectures.Current()!.Value, null), Ct);

        Assert.Equal(UpgradeResult.DownloadFailed, outcome.Result);
        Assert.True(outcome.IsRetryable);
        Assert.Equal("0.1.0", await FakeProbeBinary.VersionAsync(binary, Ct));
    }

    [Fact]
    public void FromConfig_NoUpgradeSection_NoUpgraderAndWhy()
    {
        Assert.Null(ProbeUpgrader.FromConfig(new ProbeConfig(), NullLogger.Instance, TimeProvider.System, out var whyNot));
        Assert.Contains("upgrade.publicKeyFile", whyNot, StringComparison.Ordinal);
    }

    private ProbeConfig Config(string binary, string? caFile) => new()
    {
        Upgrade = new UpgradeConfig
        {
            PublicKeyFile = _publicKeyFile,
            CaFile = caFile,
            BinaryPath = binary,
            StateDirectory = Path.Combine(_root, "state-" + Guid.NewGuid().ToString("N")),
        },
    };
}
