using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Contracts.Tests;

public sealed class NameRulesTests
{
    [Theory]
    [InlineData(NameKind.ProbeId, "ht-thach-ha-tan-loc-01")]
    [InlineData(NameKind.LinkName, "fixed")]
    [InlineData(NameKind.LinkName, "modem_2")]
    [InlineData(NameKind.Technology, "5g-sa")]
    [InlineData(NameKind.Technology, "ftth")]
    [InlineData(NameKind.Operator, "VNPT")]
    [InlineData(NameKind.Operator, "MobiFone")]
    [InlineData(NameKind.Operator, "FPT Telecom")]
    [InlineData(NameKind.ServerId, "hts-dc-hatinh.1")]
    [InlineData(NameKind.RegionCode, "18409")]
    [InlineData(NameKind.RegionCode, "42")]
    [InlineData(NameKind.AreaId, "vung-bien-gioi")]
    [InlineData(NameKind.AreaName, "Xã Hồng Lộc")]
    [InlineData(NameKind.AreaName, "Đặc khu Phú Quốc")]
    [InlineData(NameKind.AreaName, "Thạch Hà (cũ)")]
    [InlineData(NameKind.AreaName, "Xã Ea H’Leo")]
    [InlineData(NameKind.AreaName, "Ngọc Lặc, Ỷ La, Ữ, Ẵ, Ậ")]
    [InlineData(NameKind.Version, "1.4.0-rc.1+abc")]
    [InlineData(NameKind.Text, "568/KH-UBND, 13/12/2023 — \"tốc độ tải xuống theo i-Speed\" ≥ 71 Mb/s")]
    [InlineData(NameKind.Text, "")]
    [InlineData(NameKind.MobileNetworkCode, "45204")]
    [InlineData(NameKind.MobileNetworkCode, "310260")]
    [InlineData(NameKind.RadioBand, "B3")]
    [InlineData(NameKind.RadioBand, "n78")]
    [InlineData(NameKind.CellId, "6A1F21B")]
    [InlineData(NameKind.CellId, "1a2b3c4d5")]
    public void Check_AllowedValue_IsValid(NameKind kind, string value) => Assert.Null(NameRules.Check(kind, value));

    [Theory]
    [InlineData(NameKind.ProbeId, "Demo-Probe")]
    [InlineData(NameKind.ProbeId, "ab")]
    [InlineData(NameKind.LinkName, "fixed\\")]
    [InlineData(NameKind.LinkName, "fixed link")]
    [InlineData(NameKind.LinkName, "")]
    [InlineData(NameKind.Technology, "5g\\")]
    [InlineData(NameKind.Technology, "5G")]
    [InlineData(NameKind.Operator, "VNPT,province=01 download_mbps=999")]
    [InlineData(NameKind.Operator, "VNPT ")]
    [InlineData(NameKind.Operator, " VNPT")]
    [InlineData(NameKind.ServerId, "dc\\ 1")]
    [InlineData(NameKind.RegionCode, "18409x")]
    [InlineData(NameKind.RegionCode, "1")]
    [InlineData(NameKind.AreaName, "=HYPERLINK(\"http://x\")")]
    [InlineData(NameKind.AreaName, "Xã\nHồng Lộc")]
    [InlineData(NameKind.AreaName, "Xã Hồng Lộc\u202e")]
    [InlineData(NameKind.Text, "line\nbreak")]
    [InlineData(NameKind.Text, "back\\slash")]
    [InlineData(NameKind.Text, "tab\there")]
    [InlineData(NameKind.Text, "bidi\u202eoverride")]
    [InlineData(NameKind.Text, "nbsp\u00a0here")]
    [InlineData(NameKind.MobileNetworkCode, "452-04")]
    [InlineData(NameKind.MobileNetworkCode, "4520")]
    [InlineData(NameKind.RadioBand, "b3")]
    [InlineData(NameKind.RadioBand, "n7800")]
    [InlineData(NameKind.CellId, "0x6A1F")]
    [InlineData(NameKind.CellId, "6A1F21B,x=1")]
    public void Check_ValueOutsideTheAllowList_IsRefusedWithTheRule(NameKind kind, string value)
    {
        var reason = NameRules.Check(kind, value);
        Assert.NotNull(reason);
        Assert.DoesNotContain(value.Length > 2 ? value : "\0", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_LoneSurrogate_IsRefused() =>
        Assert.Contains("surrogate", NameRules.Check(NameKind.Text, "lone " + (char)0xD800 + " surrogate"), StringComparison.Ordinal);

    [Fact]
    public void Check_Null_IsMissing() => Assert.Equal("is missing", NameRules.Check(NameKind.LinkName, null));

    [Fact]
    public void Check_TooLong_NamesTheLength() =>
        Assert.Contains("65 characters", NameRules.Check(NameKind.ServerId, new string('a', 65)), StringComparison.Ordinal);

    [Fact]
    public void Rules_EveryKindHasItsOwnRule()
    {
        var kinds = Enum.GetValues<NameKind>();
        Assert.Equal(kinds.Length, kinds.Select(NameRules.Describe).Distinct().Count());
        Assert.All(kinds, kind => Assert.True(NameRules.MaxLength(kind) > 0));
    }

    [Fact]
    public void ProbeIdRule_AgreesWithTheTopicRule()
    {
        foreach (var id in new[] { "abc", "a-b", "-ab", "ab", "ABC", new string('a', 64), new string('a', 65), "a_b" })
        {
            Assert.Equal(Topics.IsValidProbeId(id), NameRules.IsValid(NameKind.ProbeId, id));
        }
    }
}
