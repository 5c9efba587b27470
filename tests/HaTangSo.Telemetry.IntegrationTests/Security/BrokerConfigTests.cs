using System.Security.Cryptography.X509Certificates;
using HaTangSo.Telemetry.Testing;
using MQTTnet;

namespace HaTangSo.Telemetry.IntegrationTests.Security;

/// <summary>
/// The broker configuration we ship (<c>deploy/mosquitto/mosquitto.conf</c>) runs on the real Mosquitto as it is,
/// with only its paths and port moved into a temporary directory: TLS only, the dynamic-security plugin, no
/// anonymous clients.
/// </summary>
public sealed class BrokerConfigTests
{
    [Fact]
    public async Task ShippedMosquittoConf_ServesTlsOnly_WithDynamicSecurity()
    {
        var ct = TestContext.Current.CancellationToken;
        using var directory = new TempDirectory("hts-shipped-broker");
        using var ca = new TestCertificateAuthority();
        var admin = TestArtifacts.Secret(SecureStack.Secret());
        await MosquittoBroker.InitDynamicSecurityAsync(directory.Path, "hts-admin", admin, ct);
        var port = FreePort.Next();
        var shipped = await File.ReadAllTextAsync(Path.Combine(BuildOutput.RepositoryRoot, "deploy/mosquitto/mosquitto.conf"), ct);
        var config = ShippedBroker.Relocate(shipped, directory.Path, ca, _ => port);
        var configPath = Path.Combine(directory.Path, "mosquitto.conf");
        await File.WriteAllTextAsync(configPath, config, ct);
        await using var broker = TestProcess.Start("mosquitto (shipped config)", MosquittoBroker.Executable, ["-c", configPath]);
        await broker.WaitForPortAsync(port, TimeSpan.FromSeconds(30), ct);

        var trusted = X509CertificateLoader.LoadCertificateFromFile(ca.CaFile);
        Assert.Equal(MqttClientConnectResultCode.Success, await ShippedBroker.ConnectAsync(ShippedBroker.Options(port, "hts-admin", admin, trusted), ct));
        Assert.NotEqual(MqttClientConnectResultCode.Success, await ShippedBroker.ConnectAsync(ShippedBroker.Options(port, null, null, trusted), ct));
        Assert.NotEqual(MqttClientConnectResultCode.Success, await ShippedBroker.ConnectAsync(ShippedBroker.Options(port, "hts-admin", admin, null), ct));
        Assert.Contains("message_size_limit 65536", config, StringComparison.Ordinal);
        Assert.Contains("max_queued_bytes 1073741824", config, StringComparison.Ordinal);
    }
}
