using System.Buffers;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using HaTangSo.Telemetry.Server.Alerts;
using Microsoft.AspNetCore.Http;
using HaTangSo.Telemetry.Testing;
using Npgsql;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>
/// The notification dispatcher on real PostgreSQL: batches claimed under a lease and sent outside any transaction;
/// two dispatchers never send one notification at once; a crashed dispatcher's lease expires and another sends its
/// batch; e-mail over one SMTP connection per batch with STARTTLS required.
/// </summary>
public sealed class NotificationLeaseTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    [Fact]
    public async Task TwoDispatchers_SameOutbox_EachNotificationSentOnceNeverTwiceAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, DateTimeOffset.UtcNow, ct);
        var a = await context.StartInstanceAsync(ct);
        var b = await context.StartInstanceAsync(ct);
        var ids = await OutboxAsync(context, NotificationChannel.Webhook, 45, ct);
        context.Webhook.Delay = TimeSpan.FromMilliseconds(20);

        var sent = await Task.WhenAll(a.Get<NotificationDispatcher>().RunAsync(ct), b.Get<NotificationDispatcher>().RunAsync(ct));

        Assert.Equal(45, sent.Sum());
        var received = context.Webhook.Received.Select(r => r.GetProperty("notificationId").GetInt64()).ToList();
        Assert.Equal(ids.Order(), received.Order());
        Assert.Equal(0, context.Webhook.Overlaps);
        Assert.Equal(0L, await ScalarAsync(context, "SELECT count(*) FROM alert_notifications WHERE delivered_at IS NULL OR lease_id IS NOT NULL", ct));
    }

    [Fact]
    public async Task CrashedDispatcher_LeaseExpires_AnotherSendsAndTheLateOneRecordsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, DateTimeOffset.UtcNow, ct);
        var crashed = (await context.StartInstanceAsync(ct)).Get<NotificationDispatcher>();
        var survivor = (await context.StartInstanceAsync(ct)).Get<NotificationDispatcher>();
        await OutboxAsync(context, NotificationChannel.Webhook, 5, ct);

        // The first dispatcher claims the batch and "crashes" (never sends). The claim is committed: no transaction
        // stays open, and the other dispatcher leaves the notifications alone while the lease lasts.
        var stale = await crashed.ClaimAsync(ct);
        Assert.Equal(5, stale.Items.Count);
        Assert.Equal(0, await survivor.RunAsync(ct));
        Assert.Empty(context.Webhook.Received);

        context.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1)); // Alerts:NotificationLease
        Assert.Equal(5, await survivor.RunAsync(ct));
        Assert.Equal(5, context.Webhook.Received.Count);

        // The first one coming back to its old batch sends nothing: its lease is over.
        Assert.Equal(0, await crashed.SendAsync(stale, ct));
        Assert.Equal(5, context.Webhook.Received.Count);
        Assert.Equal(5L, await ScalarAsync(context, "SELECT count(*) FROM alert_notifications WHERE delivered_at IS NOT NULL AND attempts = 1", ct));
    }

    /// <summary>
    /// Issue 11.9: a webhook that keeps answering 404 (a permanent error) is tried Alerts:PermanentFailureAttempts times
    /// (3) and then given up, where one answering 503 (transient) is still retried.
    /// </summary>
    [Fact]
    public async Task Webhook_PermanentError_GivenUpAfterThreeAttempts_TransientErrorStillRetried()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, DateTimeOffset.UtcNow, ct);
        var dispatcher = (await context.StartInstanceAsync(ct)).Get<NotificationDispatcher>();
        var id = (await OutboxAsync(context, NotificationChannel.Webhook, 1, ct)).Single();
        context.Webhook.FailStatus = StatusCodes.Status404NotFound;
        context.Webhook.FailFirst = 1_000;

        for (var attempt = 0; attempt < 5; attempt++)
        {
            await dispatcher.RunAsync(ct);
            context.Time.Advance(TimeSpan.FromHours(2)); // past any backoff (Alerts:MaxRetryDelay, 1 h)
        }

        Assert.Equal(3L, await ScalarAsync(context, $"SELECT attempts::bigint FROM alert_notifications WHERE id = {id}", ct));
        Assert.Equal(1L, await ScalarAsync(context, $"SELECT count(*) FROM alert_notifications WHERE id = {id} AND abandoned_at IS NOT NULL AND delivered_at IS NULL", ct));

        var transient = (await OutboxAsync(context, NotificationChannel.Webhook, 1, ct)).Single();
        context.Webhook.FailStatus = StatusCodes.Status503ServiceUnavailable;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await dispatcher.RunAsync(ct);
            context.Time.Advance(TimeSpan.FromHours(2));
        }

        Assert.Equal(1L, await ScalarAsync(context, $"SELECT count(*) FROM alert_notifications WHERE id = {transient} AND abandoned_at IS NULL AND attempts = 5", ct));
    }

    [Fact]
    public async Task Email_OneStartTlsConnectionPerBatch_NoPlaintextFallback()
    {
        var ct = TestContext.Current.CancellationToken;
        using var ca = new TestCertificateAuthority("HaTangSo SMTP test CA");
        using var certificate = X509Certificate2.CreateFromPemFile(ca.BrokerCertificateFile, ca.BrokerKeyFile);
        await using var tls = await SmtpTestServer.StartAsync(certificate, ct);
        await using var plaintext = await SmtpTestServer.StartAsync(null, ct);
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, DateTimeOffset.UtcNow, ct);
        context.Config["Alerts:WebhookUrl"] = null;
        context.Config["Alerts:SmtpHost"] = "127.0.0.1";
        context.Config["Alerts:SmtpPort"] = tls.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Config["Alerts:SmtpTo"] = "so-tttt@example.vn, giam-sat@example.vn";
        context.Config["Alerts:SmtpCaCertificatePath"] = ca.CaFile;
        var dispatcher = (await context.StartInstanceAsync(ct)).Get<NotificationDispatcher>();
        await OutboxAsync(context, NotificationChannel.Email, 3, ct);

        Assert.Equal(3, await dispatcher.RunAsync(ct));
        Assert.Equal(1, tls.Sessions);
        Assert.Equal(3, tls.Messages.Count);
        Assert.All(tls.Messages, m => Assert.True(m.Secure, "sent before STARTTLS"));

        // A server that offers no STARTTLS gets nothing: the e-mail waits for a retry, with the reason.
        context.Config["Alerts:SmtpPort"] = plaintext.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var second = (await context.StartInstanceAsync(ct)).Get<NotificationDispatcher>();
        await OutboxAsync(context, NotificationChannel.Email, 2, ct);
        Assert.Equal(0, await second.RunAsync(ct));
        Assert.Empty(plaintext.Messages);
        Assert.Equal(2L, await ScalarAsync(context, "SELECT count(*) FROM alert_notifications WHERE delivered_at IS NULL AND last_error LIKE '%STARTTLS%'", ct));
    }

    /// <summary>Adds <paramref name="count"/> alerts with one due notification each over <paramref name="channel"/>; their ids.</summary>
    private static async Task<List<long>> OutboxAsync(ComplianceTestContext context, string channel, int count, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(context.Settings.PostgresConnectionString);
        await connection.OpenAsync(ct);
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            await using var insert = new NpgsqlCommand("""
                WITH alert AS (
                    INSERT INTO alerts (kind, scope_key, province_code, state, summary, opened_at)
                    VALUES ('probe_silent', $1, '42', 'open', 'Đầu đo im lặng (test)', $2) RETURNING id)
                INSERT INTO alert_notifications (alert_id, event, channel, created_at, next_attempt_at)
                SELECT id, 'opened', $3, $2, $2 FROM alert RETURNING id
                """, connection);
            insert.Parameters.Add(new NpgsqlParameter { Value = $"{channel}-{Guid.NewGuid():N}" });
            insert.Parameters.Add(new NpgsqlParameter { Value = context.Time.GetUtcNow() });
            insert.Parameters.Add(new NpgsqlParameter { Value = channel });
            ids.Add((long)(await insert.ExecuteScalarAsync(ct))!);
        }

        return ids;
    }

    private static async Task<long> ScalarAsync(ComplianceTestContext context, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(context.Settings.PostgresConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>An SMTP server on loopback (the SmtpServer package): STARTTLS when given a certificate; counts sessions and messages.</summary>
    private sealed class SmtpTestServer : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Store _store = new();
        private Task _running = Task.CompletedTask;
        private int _sessions;

        public int Port { get; } = FreePort.Next();

        public int Sessions => _sessions;

        public System.Collections.Concurrent.ConcurrentQueue<(bool Secure, int Bytes)> Messages => _store.Messages;

        public static async Task<SmtpTestServer> StartAsync(X509Certificate2? certificate, CancellationToken ct)
        {
            var server = new SmtpTestServer();
            var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e =>
            {
                e.Endpoint(new IPEndPoint(IPAddress.Loopback, server.Port)).IsSecure(false);
                if (certificate is not null)
                {
                    e.Certificate(certificate);
                }
            }).Build();
            var services = new SmtpServer.ComponentModel.ServiceProvider();
            services.Add(server._store);
            var smtp = new SmtpServer.SmtpServer(options, services);
            smtp.SessionCreated += (_, _) => Interlocked.Increment(ref server._sessions);
            server._running = smtp.StartAsync(server._stop.Token);
            using var probe = new System.Net.Sockets.TcpClient();
            for (var attempt = 0; attempt < 100 && !probe.Connected; attempt++)
            {
                try
                {
                    await probe.ConnectAsync(IPAddress.Loopback, server.Port, ct);
                }
                catch (System.Net.Sockets.SocketException)
                {
                    await Task.Delay(100, ct);
                }
            }

            // The readiness probe was a session of its own.
            probe.Close();
            for (var attempt = 0; attempt < 100 && server._sessions == 0; attempt++)
            {
                await Task.Delay(50, ct);
            }

            Interlocked.Exchange(ref server._sessions, 0);
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _running;
            }
            catch (OperationCanceledException)
            {
            }

            _stop.Dispose();
        }

        private sealed class Store : MessageStore
        {
            public System.Collections.Concurrent.ConcurrentQueue<(bool Secure, int Bytes)> Messages { get; } = new();

            public override Task<SmtpResponse> SaveAsync(
                ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
            {
                Messages.Enqueue((context.Pipe.IsSecure, (int)buffer.Length));
                return Task.FromResult(SmtpResponse.Ok);
            }
        }
    }
}
