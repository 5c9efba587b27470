using System.Net;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Deployment;

/// <summary>
/// <c>/health/live</c> (the liveness probe of the Kubernetes and compose files) stays 200 while a dependency is down,
/// when <c>/health</c> (the readiness probe) says 503: a restart would not bring the broker back.
/// </summary>
public sealed class LivenessEndpointTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    [Fact]
    public async Task Live_BrokerDown_200WhileHealth503()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        var server = await context.StartServerAsync(ct);
        using var anonymous = new HttpClient { BaseAddress = server.Http.BaseAddress };
        using (var live = await anonymous.GetAsync("/health/live", ct))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        await context.Broker.StopAsync();
        var health = HttpStatusCode.OK;
        for (var attempt = 0; attempt < 300 && health == HttpStatusCode.OK; attempt++)
        {
            using var response = await anonymous.GetAsync("/health", ct);
            health = response.StatusCode;
            if (health == HttpStatusCode.OK)
            {
                await Task.Delay(100, ct);
            }
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health);
        using var stillLive = await anonymous.GetAsync("/health/live", ct);
        Assert.Equal(HttpStatusCode.OK, stillLive.StatusCode);
        Assert.Contains("\"status\":\"Healthy\"", await stillLive.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }
}
