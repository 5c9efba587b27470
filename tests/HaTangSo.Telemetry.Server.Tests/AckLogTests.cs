using System.Text;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Fleet;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>Refused acknowledgements are logged like quarantined results (issue 11.5): one line per probe per minute, the rest counted.</summary>
public sealed class AckLogTests
{
    [Fact]
    public async Task RefusedAcks_FirstOfAProbeInAMinuteLogged_TheRestSummarisedAtTheNextOneAfterIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        var logger = new FakeLogger<AckService>();
        // Refusals never reach the database: a data source that points nowhere proves it.
        await using var nowhere = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Database=unused;Username=unused");
        using var service = new AckService(new CommandStore(nowhere), logger, time);
        var garbage = Encoding.UTF8.GetBytes("{\"schema\":\"hts.ack.v1\"");

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(AckOutcome.Refused, await service.HandleAsync(Topics.Acks("ht-ack-a"), garbage, ct));
            Assert.Equal(AckOutcome.Refused, await service.HandleAsync(Topics.Acks("ht-ack-b"), garbage, ct));
        }

        Assert.Equal(2, logger.Collector.GetSnapshot().Count(r => r.Id.Id == 3759));
        Assert.Equal(98, service.RefusalsNotLogged);

        time.Advance(TimeSpan.FromSeconds(61));
        await service.HandleAsync(Topics.Acks("ht-ack-a"), garbage, ct);

        var summary = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 3780);
        Assert.Contains("ht-ack-a", summary.Message, StringComparison.Ordinal);
        Assert.Contains("49 more", summary.Message, StringComparison.Ordinal);
        Assert.Equal(3, logger.Collector.GetSnapshot().Count(r => r.Id.Id == 3759));
    }
}
