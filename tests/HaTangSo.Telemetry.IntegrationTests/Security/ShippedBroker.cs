using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using HaTangSo.Telemetry.Testing;
using MQTTnet;

namespace HaTangSo.Telemetry.IntegrationTests.Security;

/// <summary>
/// A Mosquitto configuration from <c>deploy/</c> made runnable here: only its paths, plugin path and ports moved, so
/// a test exercises the file as shipped. And a connection attempt that reports refusal as a result.
/// </summary>
internal static class ShippedBroker
{
    /// <summary>
    /// <paramref name="shipped"/> with its data and plugin file in <paramref name="dataDirectory"/>, the certificates of
    /// <paramref name="ca"/>, and each <c>listener PORT</c> mapped by <paramref name="listener"/> to a loopback port.
    /// </summary>
    public static string Relocate(string shipped, string dataDirectory, TestCertificateAuthority ca, Func<string, int> listener) =>
        Regex.Replace(shipped, @"^(\w+) (.*)$", m => m.Groups[1].Value switch
        {
            "persistence_location" => $"persistence_location {dataDirectory}/",
            "plugin" => $"plugin {MosquittoBroker.DynamicSecurityPlugin}",
            "plugin_opt_config_file" => $"plugin_opt_config_file {dataDirectory}/dynamic-security.json",
            "listener" => $"listener {listener(m.Groups[2].Value)} 127.0.0.1",
            "cafile" => $"cafile {ca.CaFile}",
            "certfile" => $"certfile {ca.BrokerCertificateFile}",
            "keyfile" => $"keyfile {ca.BrokerKeyFile}",
            _ => m.Value,
        }, RegexOptions.Multiline);

    /// <summary>MQTT 5 to a loopback port, with a login when <paramref name="user"/> is given, over TLS when <paramref name="trusted"/> is.</summary>
    public static MqttClientOptionsBuilder Options(int port, string? user, string? password, X509Certificate2? trusted)
    {
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithTimeout(TimeSpan.FromSeconds(10));
        options = user is null ? options : options.WithCredentials(user, password);
        return trusted is null ? options : options.WithTlsOptions(t => t.UseTls().WithTrustChain([trusted]));
    }

    /// <summary>Connects; a refused CONNACK may come back as a result or as an exception, a failed TLS handshake as an exception.</summary>
    public static async Task<MqttClientConnectResultCode> ConnectAsync(MqttClientOptionsBuilder options, CancellationToken ct)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        try
        {
            return (await client.ConnectAsync(options.Build(), ct)).ResultCode;
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or IOException)
        {
            return MqttClientConnectResultCode.UnspecifiedError;
        }
    }
}
