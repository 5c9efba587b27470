using System.Security.Cryptography;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Probe.Upgrade;
using HaTangSo.Telemetry.Server.Releases;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.Probe.Tests.Upgrade;

/// <summary>
/// Signed upgrades end to end on real files and a real loopback HTTP server: the server's signer and endpoints, the
/// probe's upgrader, and the trial script of <c>deploy/probe</c> standing in for systemd's restart. Not run in parallel
/// with other tests: the trial executes a file this process just wrote, and a fork elsewhere in the process could
/// still hold it open (ETXTBSY).
/// </summary>
[Collection(nameof(ProbeUpgraderTests))]
[CollectionDefinition(nameof(ProbeUpgraderTests), DisableParallelization = true)]
public sealed class ProbeUpgraderTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("hts-upgrade-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger _log = new();
    private readonly HttpClient _http = new();
    private readonly ECDsa _signingKey;
    private readonly IReadOnlyList<ECDsa> _enrolledKeys;
    private ReleaseServer _server = null!;

    public ProbeUpgraderTests()
    {
        var (privatePem, publicPem) = ReleaseSignature.CreateKeyPair();
        _signingKey = ReleaseSignature.LoadPrivateKey(privatePem);
        _enrolledKeys = ReleaseSignature.LoadPublicKeys(publicPem);
        Directory.CreateDirectory(Path.Combine(_root, "releases"));
        Directory.CreateDirectory(Path.Combine(_root, "opt"));
        Binary = FakeProbeBinary.Write(Path.Combine(_root, "opt", "hts-probe"), "0.1.0", 0);
        Paths = new UpgradePaths(Binary, Path.Combine(_root, "state"));
    }

    private string Binary { get; }

    private UpgradePaths Paths { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await ReleaseServer.StartAsync(Path.Combine(_root, "releases"), Ct);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        _signingKey.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task UpgradeAsync_GoodRelease_SwapsAndTheTrialConfirms()
    {
        await PublishAsync("0.2.0", selfTestExit: 0);

        var outcome = await Upgrader().UpgradeAsync(new UpgradeOrder(_server.Manifest(ProbeArchitecture.LinuxX64, "0.2.0")), Ct);

        Assert.Equal(UpgradeResult.Swapped, outcome.Result);
        Assert.True(outcome.RestartRequired);
        Assert.Equal(ReleaseVersion.Parse("0.2.0"), outcome.To);
        Assert.Equal(UpgradeStateKind.Trial, UpgradeStateFile.Read(Paths.StateDirectory)!.State);
        Assert.Equal("0.2.0", await FakeProbeBinary.VersionAsync(Binary, Ct));
        Assert.Equal("0.1.0", await FakeProbeBinary.VersionAsync(Paths.Previous, Ct));
        Assert.Contains(_log.Collector.GetSnapshot(), r => r.Id.Id == 5682);

        var trial = await RunTrialAsync();

        Assert.Equal(0, trial.Exit);
        var state = UpgradeStateFile.Read(Paths.StateDirectory)!;
        Assert.Equal(UpgradeStateKind.Confirmed, state.State);
        Assert.Equal(("0.1.0", "0.2.0"), (state.From, state.To));
        Assert.Equal("0.2.0", await FakeProbeBinary.VersionAsync(Binary, Ct));
        Assert.Equal(["hts-probe", "hts-probe.previous"], Directory.GetFiles(Path.Combine(_root, "opt")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task UpgradeAsync_SelfTestFailsAfterTheSwap_TrialRollsBackToThePreviousBinary()
    {
        await PublishAsync("0.2.0", selfTestExit: 1);

        var outcome = await Upgrader().UpgradeAsync(new UpgradeOrder(_server.Manifest(ProbeArchitecture.LinuxX64, "0.2.0")), Ct);
        Assert.Equal(UpgradeResult.Swapped, outcome.Result);
        var trial = await RunTrialAsync();

        Assert.Equal(0, trial.Exit);
        Assert.Contains("rolled back to 0.1.0", trial.Output, StringComparison.Ordinal);
        var state = UpgradeStateFile.Read(Paths.StateDirectory)!;
        Assert.Equal(UpgradeStateKind.RolledBack, state.State);
        Assert.Contains("exit 1", state.Detail, StringComparison.Ordinal);
        Assert.Equal("0.1.0", await FakeProbeBinary.VersionAsync(Binary, Ct));

        // The next start finds no trial pending, and the same release may be ordered again once fixed.
        Assert.Equal(0, (await RunTrialAsync()).Exit);
        Assert.Equal(UpgradeStateKind.RolledBack, UpgradeStateFile.Read(Paths.StateDirectory)!.State);
        Assert.Equal("0.1.0", await FakeProbeBinary.VersionAsync(Binary, Ct));
    }

    [Fact]
    public async Task UpgradeAsync_SelfTestHangs_TrialStopsItAndRollsBack()
    {
        await PublishAsync("0.2.0", selfTestExit: FakeProbeBinary.Hangs);
        Assert.Equal(UpgradeResult.Swapped, (await Upgrader().UpgradeAsync(new UpgradeOrder(_server.Manifest(ProbeArchitecture.LinuxX64, "0.2.0")), Ct)).Result);

        var trial = await RunTrialAsync(trialSeconds: 2);

        Assert.Equal(0, trial.Exit);
        var state = UpgradeStateFile.Read(Paths.StateDirectory)!;
        Assert.Equal(UpgradeStateKind.RolledBack, state.State);
        Assert.Contains("exit 124", state.Detail, StringComparison.Ordinal); // timeout(1)'s code
        Assert.Equal("0.1.0", await FakeProbeBinary.VersionAsync(Binary, Ct));
    }

    [Fact]
    public async Task UpgradeAsync_SelfTestFailsAndThePreviousBinaryIsGone_RollbackFailedRecorded()
    {
        await PublishAsync("0.2.0", selfTestExit: 1);
        Assert.Equal(UpgradeResult.Swapped, (await Upgrader().UpgradeAsync(new UpgradeOrder(_server.Manifest(ProbeArchitecture.LinuxX64, "0.2.0")), Ct)).Result);
        File.Delete(Paths.Previous);

        var trial = await RunTrialAsync();

        Assert.Equal(0, trial.Exit);
        Assert.Equal(UpgradeStateKind.RollbackFailed, UpgradeStateFile.Read(Paths.StateDirectory)!.State);
        Assert.Equal("0.2.0", await FakeProbeBinary.VersionAsync(Binary, Ct));
        Assert.Equal(["hts-probe"], Directory.GetFiles(Path.Combine(_root, "opt")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task UpgradeAsync_TamperedBinary_RefusedAndNothingSwapped()
    {
        await PublishAsync("0.2.0", selfTestExit: 0);
        var published = Path.Combine(_server.ReleaseDirectory(ProbeArchitecture.LinuxX64, "0.2.0"), ReleaseManifest.BinaryFileName);
        var bytes = await File.ReadAllBytesAsync(published, Ct);
        bytes[^2] = (byte)'X'; // same size, different content: only the hash can tell
        await File.WriteAllBytesAsync(published, bytes, Ct);

        var outcome = await Upgrader().UpgradeAsync(new UpgradeOrder(_server.Manifest(ProbeArchitecture.LinuxX64, "0.2.0")), Ct);

        Assert.Equal(UpgradeResult.BinaryMismatch, outcome.Result);
        Assert.Contains("SHA-256", outcome.Detail, StringComparison.Ordinal);
        await AssertNothingSwappedAsync();

        // A longer binary is cut off at the manifest's size (the server announces it in Content-Length here).
        await File.WriteAllBytesAsync(published, [.. bytes, .. new byte[4096]], Ct);
        outcome = await Upgrader().UpgradeAsync(new UpgradeOrder(_server.Manifest(ProbeArchitecture.LinuxX64, "0.2.0")), Ct);
        Assert.Equal(UpgradeResult.BinaryMismatch, outcome.Result);
        await AssertNothingSwappedAsync();
    }

    [Fact]
    public async Task UpgradeAsync_SignedWithAnotherKey_RefusedAndNothingSwapped()
    {
        var (otherPrivate, _) = ReleaseSignature.CreateKeyPair();
        using var otherKey = ReleaseSignature.LoadPrivateKey(otherPrivate);
        await PublishAsync("0.2.0", selfTestExit: 0, otherKey);

        var outcome = await Upgrader().UpgradeAsync(new UpgradeOrder(_server.Manifest(ProbeArchitecture.LinuxX64, "0.2.0")), Ct);

        Assert.Equal(UpgradeResult.BadSignature, outcome.Result);
        Assert.Null(outcome.To);
        Assert.False(outcome.IsRetryable);
        Assert.Contains(_log.Collector.GetSnapshot(), r => r.Id.Id == 5681);
        await AssertNothingSwappedAsync();
    }

    [Fact]
    public async Task UpgradeAsync_ManifestForAnotherArchitecture_Refused()
    {
        await PublishAsync("0.2.0", selfTestExit: 0, architecture: ProbeArchitecture.LinuxArm64);

        var outcome = await Upgrader().UpgradeAsync(new UpgradeOrder(_server.Manifest(ProbeArchitecture.LinuxArm64, "0.2.0")), Ct);

        Assert.Equal(UpgradeResult.WrongArchitecture, outcome.Result);
        await AssertNothingSwappedAsync();
    }

    [Fact]
    public async Task UpgradeAsync_OlderOrSameVersion_RefusedUnlessOrderedAsADowngrade()
    {
        await PublishAsync("0.1.0", selfTestExit: 0);
        await PublishAsync("0.0.9", selfTestExit: 0);

        Assert.Equal(UpgradeResult.NotNewer, (await Upgrader().UpgradeAsync(new UpgradeOrder(_server.Manifest(ProbeArchitecture.LinuxX64, "0.1.0")), Ct)).Result);
        Assert.Equal(UpgradeResult.NotNewer, (await Upgrader().UpgradeAsync(new UpgradeOrder(_server.Manifest(ProbeArchitecture.LinuxX64, "0.0.9")), Ct)).Result);
        await AssertNothingSwappedAsync();

        var forced = await Upgrader().UpgradeAsync(new UpgradeOrder(_server.Manifest(ProbeArchitecture.LinuxX64, "0.0.9"), AllowDowngrade: true), Ct);
        Assert.Equal(UpgradeResult.Swapped, forced.Result);
        Assert.Equal("0.0.9", await FakeProbeBinary.VersionAsync(Binary, Ct));
    }

    [Fact]
    public async Task UpgradeAsync_Latest_FollowsTheRedirectToTheNewestReleaseAndWaitsForItsTrial()
    {
        await PublishAsync("0.2.0", selfTestExit: 0);
        await PublishAsync("0.10.0", selfTestExit: 0);
        await PublishAsync("0.3.0-rc.1", selfTestExit: 0);
        var order = UpgradeOrder.ForRelease(_server.ReleasesUrl, ProbeArchitecture.LinuxX64, version: null);

        var outcome = await Upgrader().UpgradeAsync(order, Ct);

        Assert.Equal(UpgradeResult.Swapped, outcome.Result);
        Assert.Equal("0.10.0", await FakeProbeBinary.VersionAsync(Binary, Ct));
        // A second order before the restart would test the wrong binary in the trial: refused, retryable.
        var again = await Upgrader().UpgradeAsync(order with { AllowDowngrade = true }, Ct);
        Assert.Equal(UpgradeResult.Busy, again.Result);
        Assert.True(again.IsRetryable);
    }

    private ProbeUpgrader Upgrader(ProbeArchitecture architecture = ProbeArchitecture.LinuxX64) =>
        new(_http, _enrolledKeys, Paths, ReleaseVersion.Parse("0.1.0"), architecture, _log, _time);

    private async Task PublishAsync(string version, int selfTestExit, ECDsa? key = null, ProbeArchitecture architecture = ProbeArchitecture.LinuxX64)
    {
        var build = FakeProbeBinary.Write(Path.Combine(_root, $"build-{version}-{architecture.Name()}"), version, selfTestExit);
        var answer = await new ReleaseSigner(key ?? _signingKey, _time).SignAsync(build, architecture, ReleaseVersion.Parse(version), _server.Directory, Ct);
        Assert.StartsWith("Signed", answer, StringComparison.Ordinal);
    }

    private async Task AssertNothingSwappedAsync()
    {
        Assert.Equal("0.1.0", await FakeProbeBinary.VersionAsync(Binary, Ct));
        Assert.Equal(["hts-probe"], Directory.GetFiles(Path.Combine(_root, "opt")).Select(Path.GetFileName));
        Assert.Null(UpgradeStateFile.Read(Paths.StateDirectory));
    }

    /// <summary>What systemd does on the restart: ExecStartPre= runs the trial script.</summary>
    private Task<(int Exit, string Output)> RunTrialAsync(int trialSeconds = 300) => FakeProbeBinary.RunAsync("/bin/sh", [TrialScript()], new Dictionary<string, string>
    {
        ["HTS_PROBE_BINARY"] = Binary,
        ["HTS_PROBE_CONFIG"] = Path.Combine(_root, "probe.json"),
        ["HTS_PROBE_UPGRADE_STATE"] = Paths.StateDirectory,
        ["HTS_PROBE_TRIAL_SECONDS"] = trialSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    }, Ct);

    private static string TrialScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "deploy", "probe", "hts-probe-trial.sh");
            if (File.Exists(script))
            {
                return script;
            }
        }

        throw new FileNotFoundException("deploy/probe/hts-probe-trial.sh not found above " + AppContext.BaseDirectory);
    }
}
