using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Quarantine;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.Server.Tests;

public sealed class QuarantineLogTests
{
    private readonly FakeTimeProvider _time = new(TestRegistry.Now);
    private readonly FakeLogger<QuarantineLog> _logger = new();

    [Fact]
    public void Record_AFloodInOneMinute_TheFirstAtOnceThenOneSummaryLine()
    {
        var log = new QuarantineLog(_time, _logger);
        for (var i = 0; i < 10_000; i++)
        {
            log.Record("flooder", new Refusal(i % 2 == 0 ? RefusalKind.RateLimit : RefusalKind.UnknownLink, $"refusal {i}"));
        }

        log.Record("honest", new Refusal(RefusalKind.Clock, "late"));
        log.Flush();
        Assert.Equal(2, _logger.Collector.Count);

        _time.Advance(TimeSpan.FromMinutes(1));
        log.Flush();
        var summary = _logger.Collector.LatestRecord;
        Assert.Equal(3, _logger.Collector.Count);
        Assert.Equal(1501, summary.Id.Id);
        Assert.Contains("flooder: 9999 more", summary.Message, StringComparison.Ordinal);
        Assert.Contains("unknown_link 5,000, rate_limit 4,999", summary.Message, StringComparison.Ordinal);
        Assert.Equal(0, log.Tracked);
    }

    [Fact]
    public void Record_UnregisteredTopics_ShareOneKey()
    {
        var log = new QuarantineLog(_time, _logger);
        for (var i = 0; i < 100; i++)
        {
            log.Record(null, new Refusal(RefusalKind.UnknownProbe, "probe is not in the registry"));
        }

        Assert.Equal(1, log.Tracked);
        Assert.Equal(1, _logger.Collector.Count);
    }
}
