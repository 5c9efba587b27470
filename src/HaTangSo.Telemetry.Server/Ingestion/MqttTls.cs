using System.Security.Cryptography.X509Certificates;
using MQTTnet;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>TLS for the broker connection: the system's trust store, or one CA file (a provincial private CA).</summary>
internal static class MqttTls
{
    public static void Configure(MqttClientTlsOptionsBuilder tls, string? caCertificatePath)
    {
        tls.UseTls();
        if (string.IsNullOrEmpty(caCertificatePath))
        {
            return;
        }

        var ca = X509CertificateLoader.LoadCertificateFromFile(caCertificatePath);
        tls.WithTrustChain([ca]);
    }
}
