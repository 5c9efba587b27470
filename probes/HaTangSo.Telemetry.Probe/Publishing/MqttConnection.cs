using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Probe.Configuration;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.Probe.Publishing;

/// <summary>Builds the probe's MQTT client options: MQTT 5, its own credentials, TLS, and the offline last will.</summary>
internal static class MqttConnection
{
    /// <summary>How long the broker keeps the probe's session (and commands for it) while it is away: one day.</summary>
    public const uint SessionExpirySeconds = 86_400;

    /// <summary>The connect options; the last will marks the probe offline (retained) if it vanishes.</summary>
    public static MqttClientOptions Options(string probeId, BrokerConfig broker, DateTimeOffset now)
    {
        var will = JsonSerializer.SerializeToUtf8Bytes(
            new StatusMessage { ProbeId = probeId, State = ProbeState.Offline, At = now, AgentVersion = Measurement.ResultFactory.AgentVersion },
            ContractsJsonContext.Default.StatusMessage);
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(probeId)
            // A persistent session (MQTT 5, 3.1.2.4 and 3.1.2.11.2): commands published while the link was down wait at the
            // broker (until their message expiry) instead of being lost.
            .WithCleanStart(false)
            .WithSessionExpiryInterval(SessionExpirySeconds)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
            .WithTimeout(TimeSpan.FromSeconds(20))
            .WithWillTopic(Topics.Status(probeId))
            .WithWillPayload(will)
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (broker.PasswordFile is not null)
        {
            builder = builder.WithCredentials(broker.Username ?? probeId, File.ReadAllText(broker.PasswordFile).TrimEnd('\r', '\n'));
        }
        else if (broker.Username is not null)
        {
            builder = builder.WithCredentials(broker.Username, (string?)null);
        }

        if (broker.Tls)
        {
            builder = builder.WithTlsOptions(tls =>
            {
                tls.UseTls();
                if (broker.CaFile is not null)
                {
                    tls.WithTrustChain([X509CertificateLoader.LoadCertificateFromFile(broker.CaFile)]);
                }
            });
        }

        return builder.Build();
    }

    /// <summary>A QoS 1 message.</summary>
    public static MqttApplicationMessage Message(string topic, byte[] payload, bool retain = false) =>
        new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .WithContentType("application/json")
            .Build();
}
