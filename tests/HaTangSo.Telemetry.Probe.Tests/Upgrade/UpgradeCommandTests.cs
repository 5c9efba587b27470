using System.CommandLine;
using HaTangSo.Telemetry.Probe.Cli;

namespace HaTangSo.Telemetry.Probe.Tests.Upgrade;

public sealed class UpgradeCommandTests
{
    [Theory]
    [InlineData("upgrade --config /etc/hts-probe/probe.json --manifest-url https://hts.example.vn/probe-releases/linux-x64/0.2.0/manifest.json")]
    [InlineData("upgrade --release-version 0.2.0 --allow-downgrade")]
    [InlineData("upgrade status --config /etc/hts-probe/probe.json")]
    public void Parse_DocumentedCommandLines_NoErrors(string line)
    {
        var root = new RootCommand { UpgradeCommand.Create() };

        var parse = root.Parse(line);

        Assert.Empty(parse.Errors);
    }
}
