using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
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

        var config = Regex.Replace(await File.ReadAllTextAsync(Path.Combine(shipped, "mosquitto.conf"), ct), @"^(\w+) (.*)$", m => m.Groups[1].Value switch
        {
            "persistence_location" => $"persistence_location {data}/",
            "plugin" => $"plugin {MosquittoBroker.DynamicSecurityPlugin}",
            "plugin_opt_config_file" => $"plugin_opt_config_file {data}/dynamic-security.json",
            "listener" when m.Groups[2].Value == "1883" => $"listener {internalPort} 127.0.0.1",
            "listener" => $"listener {tlsPort} 127.0.0.1",
            "cafile" => $"cafile {ca.CaFile}",
            "certfile" => $"certfile {ca.BrokerCertificateFile}",
            "keyfile" => $"keyfile {ca.BrokerKeyFile}",
            _ => m.Value,
        }, RegexOptions.Multiline);
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
        MqttClientOptionsBuilder Options(int port, string? user, bool tls)
        {
            var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithTimeout(TimeSpan.FromSeconds(10));
            options = user is null ? options : options.WithCredentials(user, admin);
            return tls ? options.WithTlsOptions(t => t.UseTls().WithTrustChain([trusted])) : options;
        }

        async Task<MqttClientConnectResultCode> ConnectAsync(MqttClientOptionsBuilder options)
        {
            using var client = new MqttClientFactory().CreateMqttClient();
            return await BrokerConfigTests.ConnectOrRefusedAsync(client, options.Build(), ct);
        }

        Assert.Equal(MqttClientConnectResultCode.Success, await ConnectAsync(Options(tlsPort, "hts-admin", tls: true)));
        Assert.Equal(MqttClientConnectResultCode.Success, await ConnectAsync(Options(internalPort, "hts-admin", tls: false)));
        Assert.NotEqual(MqttClientConnectResultCode.Success, await ConnectAsync(Options(tlsPort, null, tls: true)));
        Assert.NotEqual(MqttClientConnectResultCode.Success, await ConnectAsync(Options(internalPort, null, tls: false)));
        Assert.NotEqual(MqttClientConnectResultCode.Success, await ConnectAsync(Options(tlsPort, "hts-admin", tls: false)));
    }
}
