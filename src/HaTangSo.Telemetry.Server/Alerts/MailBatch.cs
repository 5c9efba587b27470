using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace HaTangSo.Telemetry.Server.Alerts;

/// <summary>
/// One SMTP connection for the e-mails of one batch: opened at the first e-mail, reused, closed after the batch. TLS is
/// required: STARTTLS on the submission port (<see cref="SmtpSecurity.StartTls"/>, refused when the server does not
/// offer it, never a plaintext fallback) or TLS from the first byte (<see cref="SmtpSecurity.Tls"/>, port 465). The
/// server's certificate is checked against the system's CAs, or against <see cref="AlertOptions.SmtpCaCertificatePath"/>.
/// </summary>
internal sealed class MailBatch(AlertOptions settings) : IAsyncDisposable
{
    private SmtpClient? _client;
    private string? _connectFailure;

    /// <summary>Connections opened (one per batch unless one broke).</summary>
    public int Connections { get; private set; }

    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        if (_connectFailure is not null)
        {
            // Not one more attempt per e-mail of the batch: the next batch tries again.
            throw new IOException("not sent, the SMTP connection failed earlier in this batch: " + _connectFailure);
        }

        if (_client is null)
        {
            var client = new SmtpClient { Timeout = 30_000 };
            if (!string.IsNullOrEmpty(settings.SmtpCaCertificatePath))
            {
                var ca = X509CertificateLoader.LoadCertificateFromFile(settings.SmtpCaCertificatePath);
                client.ServerCertificateValidationCallback = (_, certificate, _, errors) => TrustedBy(ca, certificate, errors);
            }

            try
            {
                Connections++;
                var security = settings.SmtpSecurity == SmtpSecurity.Tls ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
                await client.ConnectAsync(settings.SmtpHost!, settings.SmtpPort, security, cancellationToken);
                if (!string.IsNullOrEmpty(settings.SmtpUsername))
                {
                    await client.AuthenticateAsync(settings.SmtpUsername, settings.SmtpPassword ?? string.Empty, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                client.Dispose();
                _connectFailure = ex.Message;
                throw;
            }

            _client = client;
        }

        try
        {
            await _client.SendAsync(message, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or SmtpProtocolException or MailKit.ServiceNotConnectedException)
        {
            // The connection is broken: the next e-mail of the batch opens a new one.
            _client.Dispose();
            _client = null;
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is null)
        {
            return;
        }

        try
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync(quit: true, CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is IOException or SmtpProtocolException or SmtpCommandException)
        {
            // Everything was sent and recorded already; a failed QUIT changes nothing.
        }
        finally
        {
            _client.Dispose();
        }
    }

    // A provincial relay with a private CA: the chain must end at that CA, and the name must match.
    private static bool TrustedBy(X509Certificate2 ca, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
