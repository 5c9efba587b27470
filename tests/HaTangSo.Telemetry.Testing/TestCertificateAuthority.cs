using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// A throw-away certificate authority and a broker certificate for 127.0.0.1/localhost, written as PEM files
/// (what <c>deploy/mosquitto/make-local-ca.sh</c> makes with openssl for the local stack).
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly TempDirectory _directory = new("hts-ca");

    public TestCertificateAuthority(string name = "HaTangSo test CA")
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={name}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var brokerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var brokerRequest = new CertificateRequest("CN=127.0.0.1", brokerKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        brokerRequest.CertificateExtensions.Add(names.Build());
        brokerRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        brokerRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var broker = brokerRequest.Create(ca, now.AddDays(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(12));

        CaFile = Write("ca.pem", ca.ExportCertificatePem());
        BrokerCertificateFile = Write("broker.pem", broker.ExportCertificatePem());
        BrokerKeyFile = Write("broker.key", brokerKey.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>The CA certificate that clients trust.</summary>
    public string CaFile { get; }

    /// <summary>The broker's certificate (subject alternative names 127.0.0.1 and localhost).</summary>
    public string BrokerCertificateFile { get; }

    /// <summary>The broker's private key (PKCS#8), readable by the broker's user.</summary>
    public string BrokerKeyFile { get; }

    public void Dispose() => _directory.Dispose();

    private string Write(string fileName, string pem)
    {
        var path = Path.Combine(_directory.Path, fileName);
        File.WriteAllText(path, pem);
        if (!OperatingSystem.IsWindows())
        {
            // Mosquitto drops to its own user before it reads the key.
            File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        }

        return path;
    }
}
