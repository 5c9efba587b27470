using System.Net;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.IntegrationTests.Fleet;
using HaTangSo.Telemetry.Server.Provisioning;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;
using MQTTnet;
using MQTTnet.Protocol;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests.Security;

/// <summary>
/// Issue 15's upgrade of the broker roles of probes enrolled before it runs at start-up once per deployment: a pass in
/// which every probe succeeded is recorded in <c>broker_upgrades</c> and later starts skip it; a pass with a probe the
/// broker refused is not recorded, and the next start tries again.
/// </summary>
public sealed class ProbeRoleUpgradeTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private const string Done = "Broker upgrade " + ProbeRoleUpgrade.Name + " done for ";

    [Fact]
    public async Task StartUp_RolesEnrolledBeforeIssue15_GetTheFleetRightsAndTheProbeReadsItsConfig()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct);
        // A fresh deployment has no probe to upgrade: its first start records the upgrade for none.
        await WaitForLogAsync(stack, Done + "0 probe role(s)", ct);
        var password = await stack.EnrolLoopbackProbeAsync("pre15-a", ct);
        await stack.EnrolLoopbackProbeAsync("pre15-b", ct);
        var (_, etag) = await stack.GetAsync("/api/probes/pre15-a/config", ct);
        using (var put = await stack.PutAsync("/api/probes/pre15-a/config", new { servers = new[] { SampleResults.ServerId } }, etag, ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        }

        await stack.WaitForProbeConfigAsync("pre15-a", c => c.Long("publishedVersion") == c.Long("version"), "pre15-a's configuration on the broker", ct);

        // The roles as a release before issue 15 left them, in a deployment that never ran the upgrade.
        await StripFleetRightsAsync(stack, "pre15-a", ct);
        await StripFleetRightsAsync(stack, "pre15-b", ct);
        Assert.False(await ReadsOwnConfigAsync(stack, "pre15-a", password, ct), "a role without the fleet rights read its configuration");
        await stack.Server.StopAsync();
        await SqlAsync(stack, "DELETE FROM broker_upgrades", ct);

        await stack.Server.StartAgainAsync(ct);
        await WaitForLogAsync(stack, Done + "2 probe role(s)", ct);
        Assert.Equal(2, (await RecordAsync(stack, ct))?.Probes);
        foreach (var id in new[] { "pre15-a", "pre15-b" })
        {
            var role = await stack.DynsecAsync(ct, "getRole", ProbeEnrolment.ProbeRole(id));
            Assert.All(ProbeEnrolment.FleetAcls(id), acl => Assert.True(HasAcl(role, acl), $"{id} lacks {acl.ToJsonString()}:\n{role}"));
        }

        Assert.True(await ReadsOwnConfigAsync(stack, "pre15-a", password, ct), "the upgraded probe did not receive its configuration\n" + stack.Server.Output);
    }

    [Fact]
    public async Task StartUp_UpgradeRecorded_NotRunAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct);
        await WaitForLogAsync(stack, Done + "0 probe role(s)", ct);
        await stack.EnrolLoopbackProbeAsync("later-a", ct);
        var recorded = await RecordAsync(stack, ct);
        Assert.NotNull(recorded);

        // An ACL removed by hand: a pass of the upgrade would add it back.
        var removed = ProbeEnrolment.FleetAcls("later-a").Single(a => a["acltype"]!.GetValue<string>() == "subscribeLiteral" && Topic(a) == Topics.Config("later-a"));
        await stack.DynsecAsync(ct, "removeRoleACL", ProbeEnrolment.ProbeRole("later-a"), "subscribeLiteral", Topics.Config("later-a"));
        await stack.Server.StopAsync();
        await stack.Server.StartAgainAsync(ct);

        await WaitForLogAsync(stack, "Broker upgrade " + ProbeRoleUpgrade.Name + " already done", ct);
        Assert.DoesNotContain(Done, stack.Server.Output, StringComparison.Ordinal);
        Assert.False(HasAcl(await stack.DynsecAsync(ct, "getRole", ProbeEnrolment.ProbeRole("later-a")), removed), "the upgrade ran again");
        Assert.Equal(recorded, await RecordAsync(stack, ct));
    }

    [Fact]
    public async Task StartUp_BrokerRefusesAProbe_NotRecordedTheOthersUpgradedAndTheNextStartTriesAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct);
        await WaitForLogAsync(stack, Done + "0 probe role(s)", ct);
        await stack.EnrolLoopbackProbeAsync("pre15-ok", ct);
        await StripFleetRightsAsync(stack, "pre15-ok", ct);

        // A registry row the broker cannot take: an id outside the registry's rule (its CHECK dropped for the test) whose
        // role exists, so the broker refuses every ACL of it ("Invalid ACL topic": a '+' inside a topic level).
        await stack.DynsecAsync(ct, "createRole", ProbeEnrolment.ProbeRole("bad+probe"));
        await stack.Server.StopAsync();
        await SqlAsync(stack, """
            ALTER TABLE probes DROP CONSTRAINT probes_id_check;
            INSERT INTO probes SELECT (jsonb_populate_record(p, '{"id": "bad+probe"}')).* FROM probes p WHERE p.id = 'pre15-ok';
            DELETE FROM broker_upgrades;
            """, ct);
        await stack.Server.StartAgainAsync(ct);

        await WaitForLogAsync(stack, "the broker refused 1 of 2 probe role(s)", ct);
        Assert.Contains("broker role of probe bad+probe", stack.Server.Output, StringComparison.Ordinal);
        Assert.Null(await RecordAsync(stack, ct));
        var role = await stack.DynsecAsync(ct, "getRole", ProbeEnrolment.ProbeRole("pre15-ok"));
        Assert.All(ProbeEnrolment.FleetAcls("pre15-ok"), acl => Assert.True(HasAcl(role, acl), $"pre15-ok lacks {acl.ToJsonString()}:\n{role}"));

        // Once the broker takes every probe, the next start records the upgrade.
        await stack.Server.StopAsync();
        await SqlAsync(stack, "DELETE FROM probes WHERE id = 'bad+probe'", ct);
        await stack.Server.StartAgainAsync(ct);
        await WaitForLogAsync(stack, Done + "1 probe role(s)", ct);
        Assert.Equal(1, (await RecordAsync(stack, ct))?.Probes);
    }

    // Removes the ACLs issue 15 added to a probe's role (what an enrolment of an older release made).
    private static async Task StripFleetRightsAsync(SecureStack stack, string probeId, CancellationToken ct)
    {
        foreach (var acl in ProbeEnrolment.FleetAcls(probeId))
        {
            await stack.DynsecAsync(ct, "removeRoleACL", ProbeEnrolment.ProbeRole(probeId), acl["acltype"]!.GetValue<string>(), Topic(acl));
        }

        var role = await stack.DynsecAsync(ct, "getRole", ProbeEnrolment.ProbeRole(probeId));
        Assert.All(ProbeEnrolment.FleetAcls(probeId), acl => Assert.False(HasAcl(role, acl), role));
    }

    // Subscribes as the probe to its own configuration: false when refused, true when granted and the retained copy arrives.
    private static async Task<bool> ReadsOwnConfigAsync(SecureStack stack, string probeId, string password, CancellationToken ct)
    {
        using var probe = new MqttClientFactory().CreateMqttClient();
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.ApplicationMessageReceivedAsync += e =>
        {
            if (e.ApplicationMessage.Topic == Topics.Config(probeId))
            {
                received.TrySetResult();
            }

            return Task.CompletedTask;
        };
        Assert.Equal(MqttClientConnectResultCode.Success, await stack.ConnectAsync(probe, probeId, password, ct));
        var granted = await probe.SubscribeAsync(
            new MqttClientSubscribeOptionsBuilder().WithTopicFilter(Topics.Config(probeId), MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        if ((int)granted.Items.Single().ResultCode > 2)
        {
            return false;
        }

        await received.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        return true;
    }

    // mosquitto_ctrl prints each ACL of a role as "<acltype> : allow : <topic> (priority: N)".
    private static bool HasAcl(string getRoleOutput, System.Text.Json.Nodes.JsonObject acl) =>
        getRoleOutput.Split('\n').Any(line => line.Contains(acl["acltype"]!.GetValue<string>() + " ", StringComparison.Ordinal)
            && line.Contains(": " + Topic(acl) + " (", StringComparison.Ordinal));

    private static string Topic(System.Text.Json.Nodes.JsonObject acl) => acl["topic"]!.GetValue<string>();

    private static async Task<BrokerUpgradeRecord?> RecordAsync(SecureStack stack, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(stack.Settings.PostgresConnectionString);
        return await new BrokerUpgradeStore(dataSource).FindAsync(ProbeRoleUpgrade.Name, ct);
    }

    private static Task SqlAsync(SecureStack stack, string sql, CancellationToken ct) =>
        IngestionPoisonTests.ExecuteAsync(stack.Settings.PostgresConnectionString, sql, ct);

    // Generous: the upgrade runs after the server is healthy, on a 2-core machine that may be busy.
    private static async Task WaitForLogAsync(SecureStack stack, string text, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (!stack.Server.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for \"{text}\" in the server's log:\n{stack.Server.Output}");
            await Task.Delay(200, ct);
        }
    }
}
