using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.IntegrationTests.Security;
using HaTangSo.Telemetry.Server.Releases;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Fleet;

/// <summary>
/// Issue 15.5 through the command channel, end to end: the real server offering signed releases, Mosquitto with dynamic
/// security, PostgreSQL, and the real probe agent. An operator orders an upgrade over the API; a tampered release is
/// refused by the probe with the reason in the command; a good one is installed, the command is done, the probe exits
/// for the restart, the trial script (standing in for systemd's ExecStartPre) confirms it, and the restarted probe
/// reports the upgrade in its status. The "binary" replaced is a small script standing in for the installed Native AOT
/// file (the agent under test runs from the build output).
/// </summary>
public sealed class UpgradeCommandTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private const string ProbeId = "upg-a";

    [Fact]
    public async Task UpgradeOrderedOverTheApi_TamperedReleaseRefused_GoodOneInstalledTrialConfirmedAndReportedInStatus()
    {
        var ct = TestContext.Current.CancellationToken;
        using var root = new TempDirectory("upgrade-command");
        var releases = Directory.CreateDirectory(Path.Combine(root.Path, "releases")).FullName;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct, extra: new Dictionary<string, string?> { ["Releases__Directory"] = releases });

        // Two signed releases; the older one's binary is changed after signing (a tampered mirror or a broken copy).
        var (privatePem, publicPem) = ReleaseSignature.CreateKeyPair();
        using (var key = ReleaseSignature.LoadPrivateKey(privatePem))
        {
            var signer = new ReleaseSigner(key, TimeProvider.System);
            foreach (var version in new[] { "98.0.0", "99.0.0" })
            {
                var build = WriteFakeBinary(Path.Combine(root.Path, "build-" + version), version);
                Assert.StartsWith("Signed", await signer.SignAsync(build, ProbeArchitecture.LinuxX64, ReleaseVersion.Parse(version), releases, ct), StringComparison.Ordinal);
            }
        }

        await File.AppendAllTextAsync(Path.Combine(releases, "linux-x64", "98.0.0", ReleaseManifest.BinaryFileName), "echo injected\n", ct);

        var password = await stack.EnrolLoopbackProbeAsync(ProbeId, ct);
        var keyFile = Path.Combine(root.Path, "upgrade-key.pem");
        await File.WriteAllTextAsync(keyFile, publicPem, ct);
        var passwordFile = Path.Combine(root.Path, "mqtt-password");
        await File.WriteAllTextAsync(passwordFile, password + "\n", ct);
        var opt = Directory.CreateDirectory(Path.Combine(root.Path, "opt")).FullName;
        var binary = WriteFakeBinary(Path.Combine(opt, "hts-probe"), "0.1.0");
        var stateDirectory = Path.Combine(root.Path, "upgrade-state");
        await using var probe = new ProbeProcess(ProbeId, stack.Broker.Port, new Uri("http://127.0.0.1:9/"), configure: c =>
        {
            c["broker"]!["passwordFile"] = passwordFile;
            c["upgrade"] = new System.Text.Json.Nodes.JsonObject
            {
                ["publicKeyFile"] = keyFile,
                ["releasesUrl"] = new Uri(stack.Server.Http.BaseAddress!, ReleasesApi.Prefix + "/").ToString(),
                ["binaryPath"] = binary,
                ["stateDirectory"] = stateDirectory,
            };
        });
        probe.Start(publishOnly: false);
        // Its first status says it is subscribed to its commands.
        await stack.WaitForProbeConfigAsync(ProbeId, c => c.Long("appliedVersion") == 0, "the probe to report its configuration", ct);

        // The API takes only a release it offers, naming the field.
        foreach (var (body, says) in new (object Body, string Says)[] { (new { version = "99.0" }, "Semantic Version"), (new { version = "7.0.0" }, "no complete release") })
        {
            using var refused = await stack.Server.Http.PostAsJsonAsync($"/api/probes/{ProbeId}/upgrade", body, ct);
            var text = await refused.Content.ReadAsStringAsync(ct);
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.Contains(says, JsonDocument.Parse(text).RootElement.GetProperty("errors").GetProperty("version")[0].GetString(), StringComparison.Ordinal);
        }

        // The tampered release: downloaded, its SHA-256 differs from the signed manifest's, nothing swapped.
        var tampered = await OrderAsync(stack, new { version = "98.0.0" }, ct);
        var refusedCommand = await stack.WaitForCommandAsync(ProbeId, tampered, "refused", ct);
        Assert.Contains("BinaryMismatch", refusedCommand.Text("reason"), StringComparison.Ordinal);
        Assert.Contains("0.1.0", await File.ReadAllTextAsync(binary, ct), StringComparison.Ordinal);
        Assert.False(File.Exists(binary + ".previous"));

        // The good one: installed, done from the old process, which then exits for systemd to restart it.
        var good = await OrderAsync(stack, new { version = "99.0.0" }, ct);
        var done = await stack.WaitForCommandAsync(ProbeId, good, "done", ct);
        Assert.Contains("installed 99.0.0", done.Text("reason"), StringComparison.Ordinal);
        await probe.WaitForExitAsync(TimeSpan.FromSeconds(90), ct);
        Assert.Contains("fake hts-probe 99.0.0", await File.ReadAllTextAsync(binary, ct), StringComparison.Ordinal);
        Assert.Contains("state=trial", await File.ReadAllTextAsync(Path.Combine(stateDirectory, "state"), ct), StringComparison.Ordinal);

        // systemd's restart: ExecStartPre runs the trial (the new binary's self-test passes), then the service starts.
        var trial = await Command.RunAsync("env", [
            "HTS_PROBE_BINARY=" + binary, "HTS_PROBE_CONFIG=" + probe.ConfigPath, "HTS_PROBE_UPGRADE_STATE=" + stateDirectory, "HTS_PROBE_TRIAL_SECONDS=60",
            "/bin/sh", Path.Combine(BuildOutput.RepositoryRoot, "deploy", "probe", "hts-probe-trial.sh")], ct);
        Assert.True(trial.ExitCode == 0, trial.Stdout + trial.Stderr);
        probe.Start(publishOnly: false);

        var status = await WaitForUpgradeStatusAsync(stack, "confirmed", ct);
        Assert.Equal("99.0.0", status.GetProperty("to").GetString());
        Assert.Equal("self-test and broker login passed", status.GetProperty("detail").GetString());
    }

    private static async Task<string> OrderAsync(SecureStack stack, object body, CancellationToken ct)
    {
        using var response = await stack.Server.Http.PostAsJsonAsync($"/api/probes/{ProbeId}/upgrade", body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        var command = JsonDocument.Parse(text).RootElement;
        Assert.Equal("upgrade", command.Text("kind"));
        return command.Text("commandId")!;
    }

    private static async Task<JsonElement> WaitForUpgradeStatusAsync(SecureStack stack, string state, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var (probes, _) = await stack.GetAsync("/api/probes/status", ct);
            var probe = probes.EnumerateArray().Single(p => p.Text("probeId") == ProbeId);
            if (probe.TryGetProperty("upgrade", out var upgrade) && upgrade.ValueKind == JsonValueKind.Object && upgrade.Text("state") == state)
            {
                return upgrade;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for the upgrade to be {state}; last: {probe}\n{stack.Server.Output}");
            await Task.Delay(500, ct);
        }
    }

    /// <summary>A stand-in for the probe binary: prints its version; its self-test passes.</summary>
    private static string WriteFakeBinary(string path, string version)
    {
        File.WriteAllText(path, $"#!/bin/sh\n# fake hts-probe {version}\ncase \"$1\" in\n  self-test) echo \"self-test of {version} passed\"; exit 0 ;;\n  version) echo {version} ;;\nesac\nexit 0\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}
