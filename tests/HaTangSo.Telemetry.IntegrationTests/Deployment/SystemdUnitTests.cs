using System.Text.RegularExpressions;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Deployment;

/// <summary>
/// The systemd units under <c>deploy/</c>, checked by systemd itself: <c>systemd-analyze verify</c> (unknown keys,
/// bad values, directives in the wrong section, missing executables) and <c>systemd-analyze security</c> (the
/// exposure score of the sandboxing), in a scratch root that holds the units, systemd's own targets and a stub
/// for each executable the units start.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class SystemdUnitTests
{
    public static TheoryData<string> Units() => new()
    {
        "deploy/server/hts-server.service",
        "deploy/speedtest/hts-speedtest.service",
        "deploy/probe/hts-probe.service",
    };

    [Theory]
    [MemberData(nameof(Units))]
    public async Task Verify_Unit_NoErrorsOrWarnings(string unit)
    {
        using var root = CreateRoot(unit);
        var (code, output) = await DeployFiles.RunAsync(
            "systemd-analyze", ["verify", "--man=no", "--root=" + root.Path, System.IO.Path.GetFileName(unit)], TestContext.Current.CancellationToken);

        // verify exits 0 on an unknown key ("Unknown key ..., ignoring"): any line it prints is a finding.
        Assert.True(code == 0 && string.IsNullOrWhiteSpace(output), $"systemd-analyze verify {unit} exited {code}:\n{output}");
    }

    [Theory]
    [MemberData(nameof(Units))]
    public async Task Security_Unit_ExposureAtMostTwoAndAHalf(string unit)
    {
        using var root = CreateRoot(unit);
        // --threshold is the exposure × 10: the command fails above 2.5 ("OK" ends at 4.9; ours are tighter).
        var (code, output) = await DeployFiles.RunAsync(
            "systemd-analyze",
            ["security", "--offline=yes", "--no-pager", "--threshold=25", "--root=" + root.Path, System.IO.Path.GetFileName(unit)],
            TestContext.Current.CancellationToken);

        Assert.True(code == 0, $"systemd-analyze security {unit}: exposure above 2.5 (exit {code}):\n{output}");
        Assert.Contains("Overall exposure level", output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void Unit_Hardened_UnprivilegedWithSecretsOutside(string unit)
    {
        var lines = File.ReadAllLines(DeployFiles.Path(unit)).Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#').ToList();
        foreach (var required in new[]
        {
            "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=",
            "AmbientCapabilities=", "Restart=always",
        })
        {
            Assert.Contains(required, lines);
        }

        Assert.True(lines.Contains("DynamicUser=yes") || lines.Any(l => l.StartsWith("User=", StringComparison.Ordinal) && l != "User=root"), $"{unit} runs as root");
        Assert.Contains(lines, l => l.StartsWith("StateDirectory=", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("EnvironmentFile=", StringComparison.Ordinal));
        // Secrets come from the EnvironmentFile (or a password file), never from the unit itself.
        Assert.DoesNotContain(lines, l => l.StartsWith("Environment=", StringComparison.Ordinal) && SecretName().IsMatch(l));
    }

    [GeneratedRegex("(?i)password|token|secret|connectionstrings|sha256")]
    private static partial Regex SecretName();

    /// <summary>A scratch root with the unit in /etc/systemd/system, systemd's targets and stub executables.</summary>
    private static TempDirectory CreateRoot(string unit)
    {
        var root = new TempDirectory("hts-systemd");
        var units = Directory.CreateDirectory(System.IO.Path.Combine(root.Path, "usr/lib/systemd/system")).FullName;
        foreach (var target in Directory.EnumerateFiles("/usr/lib/systemd/system", "*.target"))
        {
            File.Copy(target, System.IO.Path.Combine(units, System.IO.Path.GetFileName(target)));
        }

        var etc = Directory.CreateDirectory(System.IO.Path.Combine(root.Path, "etc/systemd/system")).FullName;
        var source = DeployFiles.Path(unit);
        File.Copy(source, System.IO.Path.Combine(etc, System.IO.Path.GetFileName(unit)));
        foreach (var line in File.ReadLines(source).Where(l => l.StartsWith("ExecStart", StringComparison.Ordinal)))
        {
            // ExecStart=[-@:+!]path args: the stub stands where the install steps put the real program.
            var executable = line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..].TrimStart('-', '@', ':', '+', '!').Split(' ')[0];
            var stub = System.IO.Path.Combine(root.Path, executable.TrimStart('/'));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(stub)!);
            File.WriteAllText(stub, "#!/bin/sh\n");
            File.SetUnixFileMode(stub, (UnixFileMode)0b111_101_101);
        }

        return root;
    }
}
