using System.Net;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Diagnostics;
using HaTangSo.Telemetry.Server.Influx;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// <c>/health</c> is not healthy until start-up has set up InfluxDB's database and retention policy, even while
/// InfluxDB answers <c>/ping</c>: a caller that waits for health and then writes must find the retention policy.
/// </summary>
public sealed class InfluxHealthCheckTests
{
    [Fact]
    public async Task Is_unhealthy_while_the_database_is_not_set_up_and_healthy_after()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient(new PingAnswer());
        var client = new InfluxDbClient(http, new InfluxDbConnection { BaseAddress = new Uri("http://influx.invalid/"), Database = "hts" });
        var readiness = new InfluxReadiness();
        var check = new InfluxHealthCheck(client, readiness);

        var before = await check.CheckHealthAsync(new HealthCheckContext(), ct);
        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Equal("InfluxDB 1.6.7 answers; the database is not set up yet", before.Description);

        readiness.MarkReady();
        var after = await check.CheckHealthAsync(new HealthCheckContext(), ct);
        Assert.Equal((HealthStatus.Healthy, "InfluxDB 1.6.7"), (after.Status, after.Description));
    }

    /// <summary>InfluxDB's answer to <c>/ping</c>, without a network.</summary>
    private sealed class PingAnswer : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Assert.Equal("/ping", request.RequestUri!.AbsolutePath);
            var response = new HttpResponseMessage(HttpStatusCode.NoContent);
            response.Headers.Add("X-Influxdb-Version", "1.6.7");
            return Task.FromResult(response);
        }
    }
}
