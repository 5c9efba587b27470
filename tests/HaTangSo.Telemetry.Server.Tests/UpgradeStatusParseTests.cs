using System.Text;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Fleet;
using HaTangSo.Telemetry.Server.Ingestion;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>The upgrade's traces in what a probe sends (issue 15.5): the status's <c>upgrade</c> and a <c>done</c> acknowledgement.</summary>
public sealed class UpgradeStatusParseTests
{
    private const string ProbeId = "ht-upg-01";

    [Fact]
    public void Status_WithAConfirmedUpgrade_Accepted()
    {
        var (status, refusal) = ProbeStatusHandler.Parse(Status("""{ "state": "confirmed", "from": "0.1.0+abc", "to": "0.2.0", "at": "2026-11-30T02:03:40Z", "detail": "ok" }"""), ProbeId);

        Assert.Null(refusal);
        Assert.Equal(Contracts.Releases.UpgradeStateKind.Confirmed, status!.Upgrade!.State);
    }

    [Theory]
    [InlineData("""{ "state": 9, "from": "0.1.0", "to": "0.2.0", "at": "2026-11-30T02:03:40Z" }""", "upgrade.state")]
    [InlineData("""{ "state": "installed", "from": "0.1.0", "to": "0.2.0", "at": "2026-11-30T02:03:40Z" }""", "invalid JSON")]
    [InlineData("""{ "state": "trial", "from": "0.1", "to": "0.2.0", "at": "2026-11-30T02:03:40Z" }""", "Semantic Versions")]
    [InlineData("""{ "state": "trial", "from": "0.1.0", "to": "0.2.0 ,x=1", "at": "2026-11-30T02:03:40Z" }""", "Semantic Versions")]
    [InlineData("""{ "state": "trial", "from": "0.1.0", "at": "2026-11-30T02:03:40Z" }""", "invalid JSON")]
    public void Status_WithABadUpgrade_RefusedAsAStatus(string upgrade, string reason)
    {
        var (status, refusal) = ProbeStatusHandler.Parse(Status(upgrade), ProbeId);

        Assert.Null(status);
        Assert.Equal(RefusalKind.InvalidStatus, refusal!.Value.Kind);
        Assert.Contains(reason, refusal.Value.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Ack_Done_ParsedForTheStoreToCheckTheKind()
    {
        var (ack, problem) = AckService.Parse(Topics.Acks(ProbeId), Encoding.UTF8.GetBytes(
            $$"""{ "schema": "hts.ack.v1", "commandId": "{{Guid.CreateVersion7()}}", "probeId": "{{ProbeId}}", "state": "done", "at": "2026-11-30T02:03:12Z" }"""));

        Assert.Null(problem);
        Assert.Equal("done", ack!.State);
    }

    private static byte[] Status(string upgrade) => Encoding.UTF8.GetBytes(
        $$"""{ "schema": "hts.status.v1", "probeId": "{{ProbeId}}", "state": "online", "upgrade": {{upgrade}} }""");
}
