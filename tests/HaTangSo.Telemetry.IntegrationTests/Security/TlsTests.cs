using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Testing;
using MQTTnet;

namespace HaTangSo.Telemetry.IntegrationTests.Security;

/// <summary>
/// A broker that serves MQTT over TLS only: the server and a real enrolled probe (with the configuration the
/// enrolment wrote) connect through the provincial CA; a plaintext client and clients that do not trust the CA
/// are refused. The server reads its own passwords from secret files.
/// </summary>
public sealed class TlsTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    [Fact]
    public async Task TlsOnly_ClientsWithoutTheCaOrInPlaintext_AreRefused_AndAnEnrolledProbeDelivers()
    {
        var ct = TestContext.Current.CancellationToken;
        using var ca = new TestCertificateAuthority();
        using var otherCa = new TestCertificateAuthority("Some other CA");
        // The server's broker and administrator passwords come from secret files here, not the environment.
        using var secrets = new TempDirectory("hts-secrets");
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct, tls: ca, secretsDirectory: secrets.Path);
        var enrolled = await stack.EnrolAsync("probe-tls", ct);
        var password = enrolled.GetProperty("mqttPassword").GetString()!;
        var broker = enrolled.GetProperty("config").GetProperty("broker");
        Assert.True(broker.GetProperty("tls").GetBoolean());
        Assert.Equal(ca.CaFile, broker.GetProperty("caFile").GetString());

        // Plaintext: there is no plaintext listener, and MQTT spoken to the TLS port is not understood.
        using (var plain = new MqttClientFactory().CreateMqttClient())
        {
            await Assert.ThrowsAnyAsync<Exception>(() => stack.ConnectAsync(plain, "probe-tls", password, ct));
            Assert.False(plain.IsConnected);
        }

        // TLS without trusting the provincial CA (the system's CAs), or trusting another CA: the broker's
        // certificate is refused before any password is sent.
        using (var systemTrust = new MqttClientFactory().CreateMqttClient())
        {
            await Assert.ThrowsAnyAsync<Exception>(() => stack.ConnectAsync(systemTrust, "probe-tls", password, ct, tls: t => t.UseTls()));
        }

        using (var wrongCa = new MqttClientFactory().CreateMqttClient())
        {
            var other = X509CertificateLoader.LoadCertificateFromFile(otherCa.CaFile);
            await Assert.ThrowsAnyAsync<Exception>(() => stack.ConnectAsync(wrongCa, "probe-tls", password, ct, tls: t => t.UseTls().WithTrustChain([other])));
        }

        // The real probe with the broker section its enrolment wrote (password file at a local path) delivers.
        var passwordFile = Path.Combine(Path.GetTempPath(), $"hts-probe-password-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(passwordFile, password + "\n", ct);
        try
        {
            await using var probe = new ProbeProcess("probe-tls", 0, new Uri("http://127.0.0.1:9/"), configure: config =>
            {
                var section = JsonNode.Parse(broker.GetRawText())!.AsObject();
                section["passwordFile"] = passwordFile;
                section["statusIntervalSeconds"] = 10;
                config["broker"] = section;
            });
            var results = IngestionEndToEndTests.Results("probe-tls", 20);
            await probe.ImportAsync(results, ct);
            probe.Start();
            Assert.Equal(results.Count, await stack.WaitForResultsAsync(results.Count, ct));
            Assert.Equal(results.Select(r => r.ResultId).ToHashSet(), await stack.Influx.ResultIdsAsync(ct));
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }
}
