using System.Security.Cryptography.X509Certificates;
using HaTangSo.Telemetry.IntegrationTests.Security;
using HaTangSo.Telemetry.Testing;
using MQTTnet;

namespace HaTangSo.Telemetry.IntegrationTests.Deployment;

/// <summary>
/// The compose stack's broker (<c>deploy/compose/mosquitto/</c>) on Debian's Mosquitto: its <c>entrypoint.sh</c>
/// initialises the dynamic-security plugin from <c>MQTT_ADMIN_PASSWORD</c> and starts the broker with its
/// <c>mosquitto.conf</c>, with only the image's paths, the plugin's path and the ports moved into a temporary
/// directory. Probes get TLS; the plaintext listener (unpublished in compose) still needs a login.
/// </summary>
public sealed class ComposeBrokerConfigTests
{
    [Fact]
    public async Task ComposeBroker_InitialisesDynamicSecurity_TlsForProbes_NoAnonymous()
    {
        var ct = TestContext.Current.CancellationToken;
        using var directory = new TempDirectory("hts-compose-broker");
        using var ca = new TestCertificateAuthority();
        var admin = TestArtifacts.Secret(SecureStack.Secret());
        var (internalPort, tlsPort) = (FreePort.Next(), FreePort.Next());
        var data = Path.Combine(directory.Path, "data");
        Directory.CreateDirectory(data);
        var shipped = Path.Combine(BuildOutput.RepositoryRoot, "deploy/compose/mosquitto");

        var config = ShippedBroker.Relocate(
            await File.ReadAllTextAsync(Path.Combine(shipped, "mosquitto.conf"), ct), data, ca, port => port == "1883" ? internalPort : tlsPort);
        var configPath = Path.Combine(directory.Path, "mosquitto.conf");
        await File.WriteAllTextAsync(configPath, config, ct);
        var entrypoint = (await File.ReadAllTextAsync(Path.Combine(shipped, "entrypoint.sh"), ct))
            .Replace("/mosquitto/config/mosquitto.conf", configPath, StringComparison.Ordinal)
            .Replace("/mosquitto/data", data, StringComparison.Ordinal);
        var entrypointPath = Path.Combine(directory.Path, "entrypoint.sh");
        await File.WriteAllTextAsync(entrypointPath, entrypoint, ct);

        await using var broker = TestProcess.Start(
            "mosquitto (compose entrypoint)", "sh", [entrypointPath], new Dictionary<string, string?> { ["MQTT_ADMIN_PASSWORD"] = admin });
        await broker.WaitForPortAsync(tlsPort, TimeSpan.FromSeconds(30), ct);
        await broker.WaitForPortAsync(internalPort, TimeSpan.FromSeconds(30), ct);
        Assert.True(File.Exists(Path.Combine(data, "dynamic-security.json")), "entrypoint.sh did not initialise the plugin");

        var trusted = X509CertificateLoader.LoadCertificateFromFile(ca.CaFile);
        Task<MqttClientConnectResultCode> ConnectAsync(int port, string? user, bool tls) =>
            ShippedBroker.ConnectAsync(ShippedBroker.Options(port, user, user is null ? null : admin, tls ? trusted : null), ct);

        Assert.Equal(MqttClientConnectResultCode.Success, await ConnectAsync(tlsPort, "hts-admin", tls: true));
        Assert.Equal(MqttClientConnectResultCode.Success, await ConnectAsync(internalPort, "hts-admin", tls: false));
        Assert.NotEqual(MqttClientConnectResultCode.Success, await ConnectAsync(tlsPort, null, tls: true));
        Assert.NotEqual(MqttClientConnectResultCode.Success, await ConnectAsync(internalPort, null, tls: false));
        Assert.NotEqual(MqttClientConnectResultCode.Success, await ConnectAsync(tlsPort, "hts-admin", tls: false));
    }
}
