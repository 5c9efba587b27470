using System.Net;
using System.Net.Http.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;
using MQTTnet;

namespace HaTangSo.Telemetry.IntegrationTests.Security;

/// <summary>
/// Every broker login is bound to its client id (dynamic security's <c>clientid</c>), so no login can take over
/// another client's session; the system's own identities are out of reach of enrolment and revocation.
/// </summary>
public sealed class IdentityBindingTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    [Fact]
    public async Task Login_WithAnotherClientsId_RefusedAndTheVictimsSessionSurvives()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct);
        var passwordA = (await stack.EnrolAsync("probe-a", ct)).GetProperty("mqttPassword").GetString()!;
        var passwordB = (await stack.EnrolAsync("probe-b", ct)).GetProperty("mqttPassword").GetString()!;

        // Probe B is connected; probe A's login with B's client id (clean start, which would discard B's session and
        // fire its last will) is refused, and B stays connected.
        using var probeB = new MqttClientFactory().CreateMqttClient();
        var kicked = false;
        probeB.DisconnectedAsync += _ =>
        {
            kicked = true;
            return Task.CompletedTask;
        };
        Assert.Equal(MqttClientConnectResultCode.Success, await stack.ConnectAsync(probeB, "probe-b", passwordB, ct));
        using (var thief = new MqttClientFactory().CreateMqttClient())
        {
            Assert.Equal(MqttClientConnectResultCode.NotAuthorized,
                await stack.ConnectAsync(thief, "probe-a", passwordA, ct, throwOnFailure: false, clientId: "probe-b"));
        }

        Assert.Equal(MqttClientPublishReasonCode.Success, (await probeB.PublishAsync(SecureStack.Result("probe-b", Topics.Results("probe-b")), ct)).ReasonCode);
        Assert.False(kicked, "probe B was disconnected by a login with its client id");
        Assert.Equal(1, await stack.WaitForResultsAsync(1, ct));

        // With the server away, results queue in its persistent session; a probe's login with the server's client id
        // is refused, so the session and the queued results survive until the server comes back.
        await stack.Server.StopAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(MqttClientPublishReasonCode.Success, (await probeB.PublishAsync(SecureStack.Result("probe-b", Topics.Results("probe-b")), ct)).ReasonCode);
        }

        foreach (var (username, password) in new[] { ("probe-a", passwordA), (stack.ServerUsername, "a-guessed-password") })
        {
            using var thief = new MqttClientFactory().CreateMqttClient();
            Assert.NotEqual(MqttClientConnectResultCode.Success,
                await stack.ConnectAsync(thief, username, password, ct, throwOnFailure: false, clientId: stack.ServerUsername));
        }

        await stack.Server.StartAgainAsync(ct);
        Assert.Equal(6, await stack.WaitForResultsAsync(6, ct));
        Assert.False(kicked);
    }

    [Fact]
    public async Task EnrolAndRevoke_ReservedOrUnknownNames_RefusedAndNothingTouched()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct);
        var password = (await stack.EnrolAsync("probe-c", ct)).GetProperty("mqttPassword").GetString()!;

        // A login made by hand with a role of its own, registered as a "probe" in the registry: not a probe's login.
        await stack.DynsecAsync(ct, "createRole", "ops-role");
        await stack.DynsecAsync(ct, "createClient", "ops-monitor", "-p", SecureStack.Secret());
        await stack.DynsecAsync(ct, "addClientRole", "ops-monitor", "ops-role");
        await stack.Server.RegisterProbeAsync("ops-monitor", "18409", ct);

        var enrolBody = new { communeCode = "18409", links = new object[] { new { name = "fixed", access = "fixed", @operator = "VNPT", technology = "ftth" } } };
        foreach (var name in new[] { stack.ServerUsername, "hts-admin", "hts-server", "hts-server-2", "ops-monitor", "Not_A_Probe" })
        {
            using var revoke = await stack.Server.Http.PostAsync($"/api/probes/{name}/revoke", null, ct);
            Assert.True(revoke.StatusCode == HttpStatusCode.BadRequest, $"revoke {name}: {(int)revoke.StatusCode}");
            Assert.Contains("\"id\"", await revoke.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
            using var enrol = await stack.Server.Http.PostAsJsonAsync($"/api/probes/{name}/enrol", enrolBody, ct);
            Assert.True(enrol.StatusCode == HttpStatusCode.BadRequest, $"enrol {name}: {(int)enrol.StatusCode}");
        }

        using (var unknown = await stack.Server.Http.PostAsync("/api/probes/never-registered/revoke", null, ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        // Nothing was touched: the hand-made login keeps its role, the server keeps its login and its subscription
        // (a result still lands), and the registry still has the "probe" enabled.
        var opsMonitor = await stack.DynsecAsync(ct, "getClient", "ops-monitor");
        Assert.Contains("ops-role", opsMonitor, StringComparison.Ordinal);
        Assert.Contains(stack.ServerUsername, await stack.DynsecAsync(ct, "getClient", stack.ServerUsername), StringComparison.Ordinal);
        Assert.Contains("Error", await stack.DynsecAsync(ct, "getClient", "never-registered"), StringComparison.Ordinal);
        using var probe = new MqttClientFactory().CreateMqttClient();
        await stack.ConnectAsync(probe, "probe-c", password, ct);
        Assert.Equal(MqttClientPublishReasonCode.Success, (await probe.PublishAsync(SecureStack.Result("probe-c", Topics.Results("probe-c")), ct)).ReasonCode);
        Assert.Equal(1, await stack.WaitForResultsAsync(1, ct));
        using var health = await stack.Server.Http.GetAsync("/health", ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    /// <summary>
    /// An enrolment deletes and re-creates the probe's role and client. Six enrolments of one probe at once, and
    /// re-enrolments of three probes while the restarted server is still upgrading those probes' roles (what failed
    /// CI once with a 500: the upgrade added an ACL between the enrolment's createRole and its own addRoleACL), all
    /// answer 200; of the six passwords exactly one logs in, and every probe's login can publish its results. Meanwhile
    /// another administrator sends commands the broker refuses ("Role already exists"): the plugin publishes every
    /// answer to every administrator, and the server must take only its own (correlationData).
    /// </summary>
    [Fact]
    public async Task Enrol_SameProbeAtOnceAndDuringStartUpRoleUpgrade_EveryAnswerSucceedsAndOneLoginHolds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct);
        string[] earlier = ["race-1", "race-2", "race-3"];
        foreach (var id in earlier)
        {
            await stack.EnrolAsync(id, ct);
        }

        using var foreign = new MqttClientFactory().CreateMqttClient();
        await stack.ConnectAsync(foreign, "hts-admin", stack.AdminPassword, ct, clientId: "ops-console");
        await foreign.SubscribeAsync("$CONTROL/dynamic-security/v1/response", cancellationToken: ct);
        using var stopForeign = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var foreignCommands = Task.Run(
            async () =>
            {
                for (var i = 0; i < 2_000 && !stopForeign.IsCancellationRequested; i++)
                {
                    await foreign.PublishAsync(
                        new MqttApplicationMessageBuilder().WithTopic("$CONTROL/dynamic-security/v1")
                            .WithPayload("""{"commands":[{"command":"createRole","rolename":"hts-server"}]}""").Build(),
                        CancellationToken.None);
                    await Task.Delay(5, CancellationToken.None);
                }
            },
            CancellationToken.None);

        await stack.Server.StopAsync();
        // The upgrade runs once per deployment (recorded at the first start): without the record, this start runs it again.
        await IngestionPoisonTests.ExecuteAsync(stack.Settings.PostgresConnectionString, "DELETE FROM broker_upgrades", ct);
        await stack.Server.StartAgainAsync(ct);
        var enrolments = Enumerable.Range(0, 6).Select(_ => stack.EnrolAsync("race-same", ct))
            .Concat(earlier.Select(id => stack.EnrolAsync(id, ct))).ToList();
        var answers = await Task.WhenAll(enrolments);
        await stopForeign.CancelAsync();
        await foreignCommands;

        var logins = 0;
        foreach (var answer in answers.Take(6))
        {
            using var client = new MqttClientFactory().CreateMqttClient();
            if (await stack.ConnectAsync(client, "race-same", answer.GetProperty("mqttPassword").GetString(), ct, throwOnFailure: false)
                == MqttClientConnectResultCode.Success)
            {
                logins++;
                Assert.Equal(MqttClientPublishReasonCode.Success, (await client.PublishAsync(SecureStack.Result("race-same", Topics.Results("race-same")), ct)).ReasonCode);
            }
        }

        Assert.Equal(1, logins);
        foreach (var (id, answer) in earlier.Zip(answers.Skip(6)))
        {
            using var client = new MqttClientFactory().CreateMqttClient();
            await stack.ConnectAsync(client, id, answer.GetProperty("mqttPassword").GetString(), ct);
            Assert.Equal(MqttClientPublishReasonCode.Success, (await client.PublishAsync(SecureStack.Result(id, Topics.Results(id)), ct)).ReasonCode);
        }

        Assert.Equal(4, await stack.WaitForResultsAsync(4, ct));
    }

    /// <summary>
    /// With the broker down an enrolment answers 503 with Retry-After, naming the dependency, and registers nothing;
    /// the same request succeeds once the broker is back.
    /// </summary>
    [Fact]
    public async Task Enrol_WhileTheBrokerIsDown_503AndNothingRegistered_ThenSucceeds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct);
        await stack.Broker.StopAsync();
        var body = new { communeCode = "18409", links = new object[] { new { name = "fixed", access = "fixed", @operator = "VNPT", technology = "ftth" } } };
        using (var refused = await stack.Server.Http.PostAsJsonAsync("/api/probes/probe-later/enrol", body, ct))
        {
            var text = await refused.Content.ReadAsStringAsync(ct);
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode} {text}");
            Assert.Contains("Mosquitto", text, StringComparison.Ordinal);
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        using (var absent = await stack.Server.Http.GetAsync("/api/probes/probe-later", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
        }

        await stack.Broker.StartAgainAsync(ct);
        var password = (await stack.EnrolAsync("probe-later", ct)).GetProperty("mqttPassword").GetString()!;
        using var probe = new MqttClientFactory().CreateMqttClient();
        await stack.ConnectAsync(probe, "probe-later", password, ct);
        Assert.Equal(MqttClientPublishReasonCode.Success, (await probe.PublishAsync(SecureStack.Result("probe-later", Topics.Results("probe-later")), ct)).ReasonCode);
        Assert.Equal(1, await stack.WaitForResultsAsync(1, ct));
    }
}
