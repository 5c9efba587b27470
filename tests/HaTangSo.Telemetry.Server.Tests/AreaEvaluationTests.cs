using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Registry.Catalogue;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>Areas without a database: read units, target scopes, the catalogue import door.</summary>
public sealed class AreaEvaluationTests
{
    private static readonly Area[] s_areas =
    [
        new(AreaKind.Province, "42", "42", "Tỉnh Hà Tĩnh", ["18409", "18562", "18073", "99999"]),
        new(AreaKind.FormerProvince, "42", "42", "Tỉnh Hà Tĩnh", ["18409", "18562", "18073"]),
        new(AreaKind.FormerDistrict, "445", "42", "Huyện Thạch Hà", ["18409", "18562"]),
        new(AreaKind.FormerDistrict, "436", "42", "Thành phố Hà Tĩnh", ["18073"]),
        new(AreaKind.Commune, "18409", "42", "Xã Hồng Lộc", ["18409"]),
        new(AreaKind.Commune, "18562", "42", "Xã Thạch Hà", ["18562"]),
        new(AreaKind.Commune, "18073", "42", "Phường Thành Sen", ["18073"]),
        new(AreaKind.Commune, "99999", "42", "Đặc khu Thử", ["99999"]),
        new(AreaKind.Custom, "vung-thu", "42", "Vùng thử", ["18409", "18073"]),
    ];

    [Fact]
    public void Plan_DefaultKinds_EachFormerDistrictReadOnceWithItsCommunesAndTheRestTogether()
    {
        var plan = EvaluationGroups.Plan(s_areas, new HashSet<AreaKind> { AreaKind.FormerDistrict, AreaKind.Commune }).ToList();

        Assert.Equal(3, plan.Count);
        Assert.Equal(["18409", "18562"], plan[0].Communes);
        Assert.Equal(["445", "18409", "18562"], plan[0].Areas.Select(a => a.Code));
        Assert.Equal(["436", "18073"], plan[1].Areas.Select(a => a.Code));
        Assert.Equal(["99999"], plan[2].Areas.Select(a => a.Code)); // a special zone: no former district
    }

    [Fact]
    public void Plan_CustomKind_ReadOnItsOwn()
    {
        var plan = EvaluationGroups.Plan(s_areas, new HashSet<AreaKind> { AreaKind.Custom }).ToList();

        var (communes, areas) = Assert.Single(plan);
        Assert.Equal(["18409", "18073"], communes);
        Assert.Equal("vung-thu", Assert.Single(areas).Code);
    }

    [Fact]
    public void Evaluate_SmallestEnclosingScopeWins_AndNoTargetOutsideEveryScope()
    {
        var evaluator = new ComplianceEvaluator(null!, Options.Create(new ComplianceOptions { MinSamples = 1, MinLinkSamples = 1 }));
        Target Fixed(string kind, string code, double threshold) =>
            new(threshold is 1 ? 1 : 2, "42", null, "fixed", null, "download", "mean", null, threshold, new(2025, 1, 1), null, "plan", null, kind, code);
        var targets = new[] { Fixed("former-province", "42", 150), Fixed("former-district", "445", 100) };
        var samples = new[] { Sample("18409", 120), Sample("18073", 120), Sample("99999", 120) };
        var scopes = ComplianceEvaluator.Scopes(s_areas);
        var links = LinkSummaries.FromSamples(samples, _ => false);
        var rows = evaluator.Evaluate("42", s_areas.Where(a => a.Kind == AreaKind.Commune), links, targets, scopes, new WindowSpec("rolling", s_day, s_day.AddDays(1), false))
            .Where(r => r.Access == "fixed" && r.Operator == "all").ToDictionary(r => r.AreaCode);

        Assert.Equal((100.0, "met"), (rows["18409"].Target!.Threshold, rows["18409"].Status)); // the district's target, not the province's
        Assert.Equal((150.0, "below"), (rows["18073"].Target!.Threshold, rows["18073"].Status));
        Assert.Equal("no_target", rows["99999"].Status); // not in the former province the plan was written for
        Assert.Equal("445/fixed/*", new AreaCompliance("42", AreaKind.FormerDistrict, "445", "", "fixed", "", "all", "rolling", null, "download", "mean", "link",
            default, "met", default, default).ScopeKey);
        Assert.Equal("commune/18409/fixed/*", rows["18409"].ScopeKey);
    }

    [Theory]
    [InlineData("Xã Hồng Lộc\u202e")]
    [InlineData("=HYPERLINK(\"x\")")]
    [InlineData("Xã\nHồng Lộc")]
    public void Validate_HostileNameInACatalogueFile_IsRefused(string name)
    {
        var file = new CatalogueFile("2025-07", 2, "test", [new UnitEntry("42", "Tỉnh Hà Tĩnh", "Tỉnh", null, null, null)], null,
            [new UnitEntry("18409", name, "Xã", "42", null, null)], null, null, null);

        Assert.Contains("commune 18409 name", CatalogueLoader.Validate(file), StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFiles_BuiltIn_TwoVersionsAndTheCrosswalkAllValid()
    {
        var files = CatalogueLoader.ReadFiles(null);

        Assert.Equal(["2025-07", "pre-2025-07"], files.Where(f => !f.File.IsCrosswalk).Select(f => f.File.Version!).Order(StringComparer.Ordinal));
        Assert.Equal(10977, files.Single(f => f.File.IsCrosswalk).File.Rows!.Count);
        Assert.All(files, f => Assert.Null(CatalogueLoader.Validate(f.File)));
    }

    private static readonly DateTimeOffset s_day = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Sample Sample(string commune, double download) =>
        new(ResultSamples.ToNs(s_day.AddHours(12)), "", commune, "fixed", "ftth", "VNPT", "p-" + commune, "fixed", download, null, null);
}
