using System.Net;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Probe.Measurement;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Probe.Tests;

/// <summary>The probe against the real speed-test server, whose UDP echo answers token holders only.</summary>
public sealed class SpeedTestServerProbeTests
{
    [Fact]
    public async Task MeasureAsync_RealSpeedTestServer_FetchesTheUdpTokenAndMeasuresLoss()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await SpeedTestProcess.StartAsync(ct);
        var settings = new MeasurementSettings
        {
            Duration = TimeSpan.FromSeconds(2),
            Warmup = TimeSpan.FromMilliseconds(500),
            LatencySamples = 10,
            LatencyInterval = TimeSpan.FromMilliseconds(20),
            UdpPort = server.UdpPort,
            UdpPackets = 50,
            UdpInterval = TimeSpan.FromMilliseconds(5),
            UdpWait = TimeSpan.FromSeconds(1),
        };

        var outcome = await new LinkMeasurer(settings, TimeProvider.System).MeasureAsync(server.BaseAddress, IPAddress.Loopback, progress: null, ct);

        Assert.Empty(outcome.Errors);
        Assert.Equal(ResultStatus.Ok, outcome.Status);
        Assert.Equal(0, outcome.LossPct);
        Assert.NotNull(outcome.UdpJitterMs);
    }

    [Fact]
    public async Task UdpEchoTest_WithoutAToken_NoEchoFromTheRealServer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await SpeedTestProcess.StartAsync(ct);
        var settings = new MeasurementSettings { UdpPort = server.UdpPort, UdpPackets = 20, UdpInterval = TimeSpan.FromMilliseconds(5), UdpWait = TimeSpan.FromSeconds(1) };
        var endpoint = new LinkEndpoint(server.BaseAddress, IPAddress.Loopback, IPAddress.Loopback);

        await Assert.ThrowsAsync<TimeoutException>(() => new UdpEchoTest(endpoint, settings, TimeProvider.System, new byte[UdpToken.Length]).RunAsync(ct));
        var token = await UdpToken.FetchAsync(endpoint, TimeSpan.FromSeconds(10), ct);
        var answered = await new UdpEchoTest(endpoint, settings, TimeProvider.System, token).RunAsync(ct);
        Assert.Equal(0, answered.LossPct);
    }
}
