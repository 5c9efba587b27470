using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Probe.Configuration;

namespace HaTangSo.Telemetry.Probe.Tests.Upgrade;

public sealed class UpgradeConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hts-upgrade-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Parse_UpgradeSectionWithEnrolledKey_Accepted()
    {
        var key = Path.Combine(_dir, "upgrade-key.pem");
        File.WriteAllText(key, ReleaseSignature.CreateKeyPair().PublicKeyPem + "\n");

        var config = ProbeConfigLoader.Parse(WithUpgrade($$"""{ "publicKeyFile": "{{key}}", "releasesUrl": "https://hts.example.vn/probe-releases/" }"""), "probe.json");

        Assert.Equal(key, config.Upgrade!.PublicKeyFile);
        Assert.Equal("/var/lib/hts-probe/upgrade", config.Upgrade.StateDirectory);
    }

    [Theory]
    [InlineData("""{ }""", "upgrade.publicKeyFile")]
    [InlineData("""{ "publicKeyFile": "/nonexistent/key.pem" }""", "upgrade.publicKeyFile")]
    [InlineData("""{ "publicKeyFile": "NOTAKEY" }""", "upgrade.publicKeyFile")]
    [InlineData("""{ "publicKeyFile": "KEY", "releasesUrl": "ftp://x/" }""", "upgrade.releasesUrl")]
    [InlineData("""{ "publicKeyFile": "KEY", "binaryPath": "hts-probe" }""", "upgrade.binaryPath")]
    [InlineData("""{ "publicKeyFile": "KEY", "stateDirectory": "state" }""", "upgrade.stateDirectory")]
    public void Parse_BadUpgradeValue_ErrorNamesTheKey(string section, string key)
    {
        var good = Path.Combine(_dir, "key.pem");
        File.WriteAllText(good, ReleaseSignature.CreateKeyPair().PublicKeyPem);
        var bad = Path.Combine(_dir, "notakey.pem");
        File.WriteAllText(bad, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

        var ex = Assert.Throws<ProbeConfigException>(() =>
            ProbeConfigLoader.Parse(WithUpgrade(section.Replace("NOTAKEY", bad, StringComparison.Ordinal).Replace("KEY", good, StringComparison.Ordinal)), "probe.json"));

        Assert.Contains(key + ":", ex.Message, StringComparison.Ordinal);
    }

    private static string WithUpgrade(string section) =>
        ProbeConfigLoaderTests.Valid.Replace("\"scheduleMinutes\": 15,", "\"scheduleMinutes\": 15, \"upgrade\": " + section + ",", StringComparison.Ordinal);
}
