using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Provisioning;
using HaTangSo.Telemetry.Server.Resilience;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Tests.Resilience;

/// <summary>Issue 11.9: one named pipeline per dependency, one transient-error predicate, the injected clock, telemetry.</summary>
public sealed class ResiliencePipelinesTests
{
    public static TheoryData<Exception, bool> Errors => new()
    {
        { new NpgsqlException("connection refused", new SocketException((int)SocketError.ConnectionRefused)), true },
        { new PostgresException("duplicate key", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation), false },
        { new PostgresException("shutting down", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown), true },
        { new InfluxDbException("down", null, null, isRetryable: true), true },
        { new InfluxDbException("bad line", 400, "partial write", isRetryable: false), false },
        { new HttpRequestException("refused", new SocketException()), true },
        { new HttpRequestException("not found", null, HttpStatusCode.NotFound), false },
        { new HttpRequestException("busy", null, HttpStatusCode.ServiceUnavailable), true },
        { new HttpRequestException("slow down", null, HttpStatusCode.TooManyRequests), true },
        { new SocketException((int)SocketError.HostUnreachable), true },
        { new TimeoutException(), true },
        { new TaskCanceledException("HTTP timeout"), true },
        { new MQTTnet.Exceptions.MqttCommunicationException("lost"), true },
        { new BrokerUnavailableException("CONNACK: NotAuthorized"), true },
        { new DynamicSecurityException("createClient", "Invalid password"), false },
        { new MailKit.Net.Smtp.SmtpCommandException(MailKit.Net.Smtp.SmtpErrorCode.RecipientNotAccepted, MailKit.Net.Smtp.SmtpStatusCode.MailboxUnavailable, "no such user"), false },
        { new MailKit.Net.Smtp.SmtpCommandException(MailKit.Net.Smtp.SmtpErrorCode.MessageNotAccepted, MailKit.Net.Smtp.SmtpStatusCode.MailboxBusy, "try later"), true },
        { new InvalidOperationException("a bug"), false },
        { new ArgumentException("bad tag"), false },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void IsTransient_ClassifiesEachDependencysErrors(Exception error, bool transient) =>
        Assert.Equal(transient, TransientErrors.IsTransient(error, CancellationToken.None));

    [Fact]
    public void IsTransient_OurOwnCancellation_IsNot()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.False(TransientErrors.IsTransient(new OperationCanceledException(cts.Token), cts.Token));
    }

    [Fact]
    public async Task DurableRetry_TransientFailures_AreRetriedWithGrowingJitteredDelaysOnTheInjectedClock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var host = Build(time);
        var retry = host.Services.GetRequiredService<DurableRetry>();
        var calls = new List<DateTimeOffset>();
        var write = retry.RunAsync("InfluxDB", _ =>
        {
            calls.Add(time.GetUtcNow());
            return calls.Count <= 3 ? throw new InfluxDbException("down", null, null, isRetryable: true) : Task.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Nothing but the fake clock moves the retries on: advance it until the write gets through.
        for (var i = 0; i < 1000 && !write.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        await write;
        Assert.Equal(4, calls.Count);
        var gaps = calls.Zip(calls.Skip(1), (a, b) => b - a).ToArray();
        Assert.All(gaps, gap => Assert.InRange(gap, TimeSpan.Zero, TimeSpan.FromSeconds(2) + TimeSpan.FromMilliseconds(100)));
        Assert.True(calls[^1] > calls[0], "the retries waited on the fake clock");
    }

    [Fact]
    public async Task DurableRetry_PermanentError_IsThrownAtOnce()
    {
        using var host = Build(new FakeTimeProvider());
        var retry = host.Services.GetRequiredService<DurableRetry>();
        var calls = 0;

        var error = await Assert.ThrowsAsync<PostgresException>(() => retry.RunAsync("PostgreSQL quarantine", _ =>
        {
            calls++;
            throw new PostgresException("bad", "ERROR", "ERROR", PostgresErrorCodes.CheckViolation);
        }, TestContext.Current.CancellationToken));

        Assert.Equal(1, calls);
        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
    }

    [Fact]
    public async Task Pipelines_ReportTheirRetriesToPollysMeter()
    {
        var time = new FakeTimeProvider();
        using var host = Build(time);
        var events = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ResilienceExtensions.MeterName && instrument.Name == "resilience.polly.strategy.events")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "pipeline.name")
                {
                    lock (events)
                    {
                        events.Add((string)tag.Value!);
                    }
                }
            }
        });
        listener.Start();
        var calls = 0;

        var write = host.Services.GetRequiredService<DurableRetry>().RunAsync("PostgreSQL quarantine", _ =>
            ++calls == 1 ? throw new TimeoutException() : Task.CompletedTask, TestContext.Current.CancellationToken);
        for (var i = 0; i < 1000 && !write.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        await write;
        lock (events)
        {
            Assert.Contains(nameof(Dependency.PostgreSql), events);
        }
    }

    [Fact]
    public void DeliveryBackoff_DoublesFromAMinuteWithJitterButNeverPastTheSchedule()
    {
        var random = new Random(7);
        for (var attempts = 0; attempts < 30; attempts++)
        {
            var nominal = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks << Math.Min(attempts, 20), TimeSpan.FromHours(1).Ticks));
            Assert.InRange(DeliveryBackoff.Next(attempts, TimeSpan.FromHours(1), random), nominal * 0.8, nominal);
        }
    }

    private static IHost Build(TimeProvider time)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddSingleton(time);
        builder.Services.AddOptions<IngestionOptions>().Configure(o => (o.RetryInitialDelay, o.RetryMaxDelay) = (TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2)));
        builder.AddResilience();
        builder.Services.AddSingleton<DurableRetry>();
        return builder.Build();
    }
}
