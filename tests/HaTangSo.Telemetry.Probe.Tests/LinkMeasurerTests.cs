using System.Net;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Probe.Measurement;
using NJsonSchema;

namespace HaTangSo.Telemetry.Probe.Tests;

public sealed class LinkMeasurerTests
{
    private static readonly MeasurementSettings s_short = new()
    {
        Duration = TimeSpan.FromSeconds(3),
        Warmup = TimeSpan.FromSeconds(1),
        LatencySamples = 10,
        LatencyInterval = TimeSpan.FromMilliseconds(20),
        UdpPackets = 50,
        UdpInterval = TimeSpan.FromMilliseconds(2),
        UdpWait = TimeSpan.FromMilliseconds(500),
    };

    [Fact]
    public async Task MeasureAsync_IndependentLibreSpeedServer_AllFiguresMeasured()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await MinimalLibreSpeedServer.StartAsync(cancellationToken: ct);
        using var echo = new UdpEchoForTests();
        var measurer = new LinkMeasurer(s_short with { UdpPort = echo.Port }, TimeProvider.System);

        var outcome = await measurer.MeasureAsync(server.BaseAddress, IPAddress.Loopback, progress: null, ct);

        Assert.Empty(outcome.Errors);
        Assert.Equal(ResultStatus.Ok, outcome.Status);
        Assert.True(outcome.DownloadMbps > 10, $"download {outcome.DownloadMbps}");
        Assert.True(outcome.UploadMbps > 10, $"upload {outcome.UploadMbps}");
        Assert.InRange(outcome.LatencyMs!.Value, 0, 100);
        Assert.NotNull(outcome.JitterMs);
        Assert.Equal(0, outcome.LossPct);
        Assert.NotNull(outcome.LoadedLatencyMs);
        Assert.True(server.Hits.GetValueOrDefault("/backend/garbage.php") >= s_short.Streams);
        // Checked once to answer HTTP (then the uploads); the latency samples are handshakes, timed by the kernel.
        Assert.True(server.Hits.GetValueOrDefault("/backend/empty.php") >= 1 + s_short.Streams);
    }

    [Fact]
    public async Task MeasureAsync_EchoDropsEveryTenthDatagram_LossIsTenPercent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await MinimalLibreSpeedServer.StartAsync(cancellationToken: ct);
        using var echo = new UdpEchoForTests(dropEvery: 10);
        var measurer = new LinkMeasurer(s_short with { UdpPort = echo.Port, Duration = TimeSpan.FromSeconds(3) }, TimeProvider.System);

        var outcome = await measurer.MeasureAsync(server.BaseAddress, null, progress: null, ct);

        Assert.Equal(10, outcome.LossPct);
    }

    [Fact]
    public async Task MeasureAsync_NothingListens_FailedWithReason()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = Testing.FreePort.Next();
        var measurer = new LinkMeasurer(s_short, TimeProvider.System);

        var outcome = await measurer.MeasureAsync(new Uri($"http://127.0.0.1:{port}/"), null, progress: null, ct);

        Assert.Equal(ResultStatus.Failed, outcome.Status);
        Assert.Contains("does not answer", Assert.Single(outcome.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromOutcome_MeasuredResult_ValidAgainstTheContractSchema()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await MinimalLibreSpeedServer.StartAsync(cancellationToken: ct);
        var outcome = await new LinkMeasurer(s_short with { UdpPort = 0 }, TimeProvider.System).MeasureAsync(server.BaseAddress, null, null, ct);
        var link = new LinkInfo { Name = "fixed", Access = AccessKind.Fixed, Operator = "VNPT", Technology = "ftth" };

        var message = ResultFactory.FromOutcome("ht-18409-01", link, "ht-dc-1", outcome);
        var json = JsonSerializer.Serialize(message, ContractsJsonContext.Default.ResultMessage);

        var schema = await JsonSchema.FromJsonAsync(ContractSchemas.Read(ContractSchemas.ResultFileName), ct);
        Assert.Empty(schema.Validate(json));
        Assert.Equal(ResultStatus.Partial, message.Status); // no UDP test: no loss figure
        Assert.True(Guid.TryParse(message.ResultId, out _));
    }
}
