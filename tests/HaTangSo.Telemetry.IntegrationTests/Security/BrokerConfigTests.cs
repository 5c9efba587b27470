using System.Text.RegularExpressions;
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
        var config = Regex.Replace(shipped, @"^(\w+) (.*)$", m => m.Groups[1].Value switch
        {
            "persistence_location" => $"persistence_location {directory.Path}/",
            "plugin_opt_config_file" => $"plugin_opt_config_file {directory.Path}/dynamic-security.json",
            "listener" => $"listener {port} 127.0.0.1",
            "cafile" => $"cafile {ca.CaFile}",
            "certfile" => $"certfile {ca.BrokerCertificateFile}",
            "keyfile" => $"keyfile {ca.BrokerKeyFile}",
            _ => m.Value,
        }, RegexOptions.Multiline);
        var configPath = Path.Combine(directory.Path, "mosquitto.conf");
        await File.WriteAllTextAsync(configPath, config, ct);
        await using var broker = TestProcess.Start("mosquitto (shipped config)", MosquittoBroker.Executable, ["-c", configPath]);
        await broker.WaitForPortAsync(port, TimeSpan.FromSeconds(30), ct);

        var trusted = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(ca.CaFile);
        MqttClientOptionsBuilder Options(string? user, string? password)
        {
            var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithTimeout(TimeSpan.FromSeconds(10));
            return user is null ? options : options.WithCredentials(user, password);
        }

        using (var client = new MqttClientFactory().CreateMqttClient())
        {
            var connected = await client.ConnectAsync(Options("hts-admin", admin).WithTlsOptions(t => t.UseTls().WithTrustChain([trusted])).Build(), ct);
            Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        }

        using (var anonymous = new MqttClientFactory().CreateMqttClient())
        {
            Assert.NotEqual(MqttClientConnectResultCode.Success, await ConnectOrRefusedAsync(anonymous, Options(null, null).WithTlsOptions(t => t.UseTls().WithTrustChain([trusted])).Build(), ct));
        }

        using (var plaintext = new MqttClientFactory().CreateMqttClient())
        {
            Assert.NotEqual(MqttClientConnectResultCode.Success, await ConnectOrRefusedAsync(plaintext, Options("hts-admin", admin).Build(), ct));
        }

        Assert.Contains("message_size_limit 65536", config, StringComparison.Ordinal);
    }

    // A refused CONNACK may come back as a result or as an exception; a failed TLS handshake is an exception.
    internal static async Task<MqttClientConnectResultCode> ConnectOrRefusedAsync(IMqttClient client, MqttClientOptions options, CancellationToken ct)
    {
        try
        {
            return (await client.ConnectAsync(options, ct)).ResultCode;
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or IOException)
        {
            return MqttClientConnectResultCode.UnspecifiedError;
        }
    }
}
