using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Influx;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>Radio facts at the server: validation, the point written, and which results a "5g" target counts.</summary>
public sealed class RadioFactsTests
{
    private const string ProbeId = "ht-xa-tan-loc-01";
    private static readonly DateTimeOffset s_now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly RadioInfo s_radio = new()
    {
        AccessTechnology = RadioTechnology.NrNonStandalone, Changed = false, OperatorCode = "45204", Band = "n78", CellId = "6A1F21B",
        RsrpDbm = -86, RsrqDb = -11, SinrDb = 19.5,
    };

    private readonly ResultValidator _validator = new(new FakeTimeProvider(s_now), Options.Create(new IngestionOptions()));

    [Fact]
    public void Validate_MobileResultWithRadio_AcceptedAndKept()
    {
        var result = Mobile() with { Radio = s_radio };

        var outcome = _validator.Validate(ProbeId, SampleResults.ToJson(result));

        Assert.True(outcome.IsValid, outcome.Reason);
        Assert.Equal(s_radio, outcome.Result!.Radio);
    }

    [Theory]
    [InlineData("accessTechnology", "\"6g\"", "radio.accessTechnology must be one of")]
    [InlineData("accessTechnology", "\"lte,province=01\"", "radio.accessTechnology must be one of")]
    [InlineData("operatorCode", "\"45204 x=1\"", "radio.operatorCode must be 5-6 digits")]
    [InlineData("band", "\"B3\\\\\"", "radio.band must be")]
    [InlineData("cellId", "\"6A1F21G\"", "radio.cellId must be 1-10 hexadecimal digits")]
    [InlineData("rsrpDbm", "-200", "radio.rsrpDbm is outside the plausible range -160 to -30")]
    [InlineData("rsrqDb", "25", "radio.rsrqDb is outside the plausible range")]
    [InlineData("sinrDb", "-40", "radio.sinrDb is outside the plausible range")]
    public void Validate_RadioFieldOutsideItsRule_RefusedNamingTheField(string field, string json, string reason)
    {
        var node = SampleResults.ToNode(Mobile() with { Radio = s_radio });
        node["radio"]![field] = System.Text.Json.Nodes.JsonNode.Parse(json);

        var outcome = _validator.Validate(ProbeId, SampleResults.Utf8(node.ToJsonString()));

        Assert.False(outcome.IsValid);
        Assert.Contains(reason, outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RadioOnAFixedLink_Refused()
    {
        var result = SampleResults.Create(ProbeId, 0, s_now.AddMinutes(-1)) with { Radio = s_radio };

        Assert.Contains("not mobile", _validator.Validate(ProbeId, SampleResults.ToJson(result)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_RadioFacts_TechnologyTagAndFields()
    {
        var location = new ProbeLocation(ProbeId, "42", "445", "18409", true, TimeSpan.FromMinutes(15), [TestRegistry.Modem]);

        var line = ResultPoints.Format(Mobile() with { Radio = s_radio }, location, TestRegistry.Modem, TestRegistry.Server);

        Assert.Contains(",radio_technology=5g-nsa,", line, StringComparison.Ordinal);
        Assert.Contains("radio_rsrp_dbm=-86,radio_rsrq_db=-11,radio_sinr_db=19.5,radio_band=\"n78\",radio_cell_id=\"6A1F21B\",radio_operator_code=\"45204\",radio_changed=false", line, StringComparison.Ordinal);
        var without = ResultPoints.Format(Mobile(), location, TestRegistry.Modem, TestRegistry.Server);
        Assert.DoesNotContain("radio", without, StringComparison.Ordinal); // no facts: the point is as before
    }

    [Theory]
    [InlineData("5g", "", "5g")] // no radio facts: the registered technology stands
    [InlineData("5g", "5g-nsa", "5g")]
    [InlineData("5g", "5g-sa", "5g")]
    [InlineData("5g", "lte", "4g")] // a 5G modem that fell back to LTE
    [InlineData("5g-sa", "umts", "3g")]
    [InlineData("5g", "other", "other")]
    [InlineData("4g", "5g-nsa", "4g")]
    [InlineData("ftth", "", "ftth")]
    public void CountedTechnology_RegisteredAndMeasured(string registered, string radio, string counted) =>
        Assert.Equal(counted, ResultSamples.CountedTechnology(registered, radio));

    [Fact]
    public void Evaluate_5GTarget_CountsOnlyResultsMeasuredOn5G()
    {
        // Two 5G-registered modems in one commune: one stayed on 5G (300 Mb/s), one fell back to LTE for half of its tests
        // (40 Mb/s then). A mean-download target of 200 Mb/s for 5g: met on the 5G results alone; with the LTE results
        // counted, modem-b's mean would be about 160 Mb/s and the verdict not "met".
        var area = new Area(AreaKind.Commune, "18409", "42", "Xã Hồng Lộc", ["18409"]);
        var samples = new List<Sample>();
        for (var i = 0; i < 6; i++)
        {
            samples.Add(Sample("modem-a", "5g-nsa", 300 + i, i));
            samples.Add(Sample("modem-b", i % 2 == 0 ? "lte" : "5g-sa", i % 2 == 0 ? 40 : 280 + i, i));
        }

        var target = new Target(1, "42", null, "mobile", "5g", "download", "mean", null, 200, new(2026, 1, 1), null, "plan", null, "commune", "18409");
        var evaluator = new ComplianceEvaluator(null!, Options.Create(new ComplianceOptions { MinSamples = 1, MinLinkSamples = 1, MinLinks = 1 }));
        var links = LinkSummaries.FromSamples(samples, _ => false);

        var row = Assert.Single(evaluator.Evaluate("42", [area], links, [target], ComplianceEvaluator.Scopes([area]),
            new WindowSpec("rolling", s_day, s_day.AddDays(1), false)), r => r.Access == "mobile" && r.Operator == "all");

        Assert.Equal("5g", row.Technology);
        Assert.Equal(9, row.Estimate.Samples); // 6 of modem-a, 3 of modem-b; its 3 LTE results count as 4g
        Assert.Equal(ComplianceStatus.Met, row.Status);
    }

    private static readonly DateTimeOffset s_day = new(2026, 2, 10, 0, 0, 0, TimeSpan.Zero);

    private static Sample Sample(string probe, string radio, double download, int hour) => new(
        ResultSamples.ToNs(s_day.AddHours(hour)), "445", "18409", "mobile", ResultSamples.CountedTechnology("5g", radio), "Viettel", probe, "modem",
        download, 20, 30);

    private static ResultMessage Mobile()
    {
        var result = SampleResults.Create(ProbeId, 2, s_now.AddMinutes(-1));
        return result with { Link = new LinkInfo { Name = "modem", Access = AccessKind.Mobile, Operator = "Viettel", Technology = "5g" } };
    }
}
