using HaTangSo.Telemetry.IntegrationTests.Compliance;
using HaTangSo.Telemetry.Server.Diagnostics;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Diagnostics;

/// <summary>
/// Two servers in one process (as the in-process tests run them, several at once) export only their own measurements:
/// a counter of one is not in the other's /metrics, and stopping one leaves the other's gauges in place. Found when the
/// dashboards' freshness gauge vanished from a server's /metrics in full test runs: the OpenTelemetry provider listened
/// to every meter of the name in the process, and another server's disposal removed the shared stream.
/// </summary>
public sealed class MetricsIsolationTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    [Fact]
    public async Task Each_server_in_a_process_exports_its_own_meters_and_keeps_them_when_another_stops()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero), ct);
        var a = await context.StartInstanceAsync(ct);
        var b = await context.StartInstanceAsync(ct);
        a.Get<IngestionMetrics>().Retry("isolation-a");
        b.Get<IngestionMetrics>().Retry("isolation-b");

        var scrapeA = await a.Http.GetStringAsync("/metrics", ct);
        Assert.Contains("target=\"isolation-a\"", scrapeA, StringComparison.Ordinal);
        Assert.DoesNotContain("target=\"isolation-b\"", scrapeA, StringComparison.Ordinal);
        Assert.Contains("target=\"isolation-b\"", await b.Http.GetStringAsync("/metrics", ct), StringComparison.Ordinal);

        await context.StopInstanceAsync(b);
        scrapeA = await a.Http.GetStringAsync("/metrics", ct);
        Assert.Contains("target=\"isolation-a\"", scrapeA, StringComparison.Ordinal);
        Assert.Contains(scrapeA.Split('\n'), l => l.StartsWith("hts_mqtt_connected", StringComparison.Ordinal));
    }
}
