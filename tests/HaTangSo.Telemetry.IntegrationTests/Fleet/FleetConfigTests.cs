using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.IntegrationTests.Security;
using HaTangSo.Telemetry.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.IntegrationTests.Fleet;

/// <summary>
/// Issue 15.1 end to end: the real server, Mosquitto with dynamic security, PostgreSQL, InfluxDB, the speed-test server
/// and the real probe binary. A configuration changed through the API reaches the running probe, which follows it and
/// reports its version; a broken one is refused with the reason in the status and the last good one kept.
/// </summary>
public sealed class FleetConfigTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private const string ServerId = "fleet-dc";

    [Fact]
    public async Task ConfigChange_ReachesTheRunningProbe_ItMeasuresWithIt_AndABrokenOneIsRefusedKeepingTheLastGood()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct);
        await using var speed = await SpeedTestProcess.StartAsync(ct);
        // The largest capacity the API takes: over loopback a quiet machine measures 14,097 Mb/s, which a 10,000 Mb/s
        // server would rightly quarantine as implausible (seen on a fresh-clone CI run).
        using (var registered = await stack.Server.Http.PutAsJsonAsync(
            $"/api/servers/{ServerId}", new { name = "Máy chủ đo thử", baseUrl = speed.BaseAddress, capacityMbps = 100_000, enabled = true }, ct))
        {
            Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync(ct));
        }

        var password = await stack.EnrolLoopbackProbeAsync("fleet-a", ct);
        using var secrets = new TempDirectory("fleet-secrets");
        var passwordFile = Path.Combine(secrets.Path, "mqtt-password");
        await File.WriteAllTextAsync(passwordFile, password + "\n", ct);

        // The local file measures once a day at a random offset against another URL: version 0 until the registry speaks.
        await using var probe = new ProbeProcess("fleet-a", stack.Broker.Port, new Uri("http://127.0.0.1:9/"), configure: c =>
        {
            c["broker"]!["passwordFile"] = passwordFile;
        });
        probe.Start(publishOnly: false);
        await stack.WaitForProbeConfigAsync("fleet-a", c => c.Long("appliedVersion") == 0, "the probe to report its local configuration", ct);
        Assert.Equal(0, await stack.Influx.CountResultsAsync(ct));

        // The province default changes (If-Match: the version read): the probe gets it retained, applies it without a
        // restart, reports its version, and measures at once against the registered server with it.
        var (defaults, etag) = await stack.GetAsync("/api/config/default", ct);
        using (var changed = await stack.PutAsync("/api/config/default", FleetApi.QuickDefault(ServerId), etag, ct))
        {
            Assert.True(changed.StatusCode == HttpStatusCode.NoContent, await changed.Content.ReadAsStringAsync(ct));
        }

        var applied = await stack.WaitForProbeConfigAsync(
            "fleet-a", c => c.Long("appliedVersion") is { } v && v == c.Long("version"), "the probe to apply the new default", ct);
        var version = applied.Long("version")!.Value;
        Assert.Equal(version, applied.Long("publishedVersion"));
        Assert.Equal(3, applied.GetProperty("effective").GetProperty("test").GetProperty("durationSeconds").GetDouble());
        var rows = await WaitForRowsAsync(stack, $"SELECT * FROM speedtest WHERE probe = 'fleet-a' AND \"server\" = '{ServerId}'", 1, ct);
        // A real measurement over loopback on a loaded machine: ok, or partial when a part of it was cut short.
        Assert.Contains(rows[0]["status"].GetString(), new[] { "ok", "partial" });
        Assert.Equal("\"" + defaults.GetProperty("version").GetInt64() + "\"", etag);

        // Measure now (issue 15.2): the command is created with the server's id, reaches the running probe, and its
        // result lands carrying the id; the API answers done with that result.
        var before = await stack.Influx.ResultIdsAsync(ct);
        using var measure = await stack.Server.Http.PostAsJsonAsync("/api/probes/fleet-a/measure", new { link = "fixed" }, ct);
        Assert.True(measure.StatusCode == HttpStatusCode.Accepted, await measure.Content.ReadAsStringAsync(ct));
        var command = await measure.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct);
        Assert.Equal("queued", command.Text("state"));
        var commandId = command.Text("commandId")!;
        Assert.Equal(7, Guid.Parse(commandId).Version);
        var done = await stack.WaitForCommandAsync("fleet-a", commandId, "done", ct);
        var resultId = done.GetProperty("resultIds")[0].GetString()!;
        Assert.DoesNotContain(resultId, before);
        var stored = await stack.Influx.ResultIdsAsync(ct);
        Assert.Contains(resultId, stored);

        // A link the probe does not have is refused at the API, naming the field.
        using (var noLink = await stack.Server.Http.PostAsJsonAsync("/api/probes/fleet-a/measure", new { link = "satellite" }, ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noLink.StatusCode);
            Assert.Contains("link", await noLink.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        // A broken configuration published on the probe's topic (a faulty server or a forger with the right to publish
        // there) is refused: the status says why, the probe keeps the last good version.
        await stack.DynsecAsync(ct, "createRole", "fleet-forger");
        await stack.DynsecAsync(ct, "addRoleACL", "fleet-forger", "publishClientSend", Topics.Config("fleet-a"), "allow", "0");
        await stack.DynsecAsync(ct, "createClient", "fleet-forger", "-p", "forger-password-1");
        await stack.DynsecAsync(ct, "addClientRole", "fleet-forger", "fleet-forger", "0");
        var broken = JsonNode.Parse(applied.GetProperty("effective").GetRawText())!;
        broken["version"] = version + 1;
        broken["test"]!["streams"] = 1000;
        using (var forger = new MqttClientFactory().CreateMqttClient())
        {
            await stack.ConnectAsync(forger, "fleet-forger", "forger-password-1", ct);
            var sent = await forger.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topics.Config("fleet-a"))
                .WithPayload(Encoding.UTF8.GetBytes(broken.ToJsonString())).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
            Assert.Contains(sent.ReasonCode, new[] { MqttClientPublishReasonCode.Success, MqttClientPublishReasonCode.NoMatchingSubscribers });
        }

        var refused = await stack.WaitForProbeConfigAsync(
            "fleet-a", c => c.Text("configError")?.Contains("test.streams", StringComparison.Ordinal) == true, "the probe to refuse the broken configuration", ct);
        Assert.Equal(version, refused.Long("appliedVersion"));
    }

    [Fact]
    public async Task ConfigApi_RefusesBadInputNamingTheField_AndConcurrentChangesWithoutTheCurrentVersion()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct);
        await stack.EnrolLoopbackProbeAsync("fleet-c", ct);
        var (_, etag) = await stack.GetAsync("/api/probes/fleet-c/config", ct);

        // No If-Match: 428; a stale one: 412; nothing changed either way.
        using (var blind = await stack.PutAsync("/api/probes/fleet-c/config", new { scheduleMinutes = 5 }, null, ct))
        {
            Assert.Equal(HttpStatusCode.PreconditionRequired, blind.StatusCode);
        }

        using (var stale = await stack.PutAsync("/api/probes/fleet-c/config", new { scheduleMinutes = 5, servers = new[] { SampleResults.ServerId } }, "\"999\"", ct))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        }

        // Out of range, not registered, an unknown key: 400 naming the field.
        foreach (var (body, field) in new (object, string)[]
        {
            (new { scheduleMinutes = 0, servers = new[] { SampleResults.ServerId } }, "scheduleMinutes"),
            (new { servers = new[] { "not-registered" } }, "servers[0]"),
            (new { servers = new[] { SampleResults.ServerId }, test = new { warmupSeconds = 30 } }, "test.warmupSeconds"),
            (new { servers = new[] { SampleResults.ServerId }, dnsTargets = new[] { "x" } }, "dnsTargets"),
        })
        {
            using var refused = await stack.PutAsync("/api/probes/fleet-c/config", body, etag, ct);
            var problem = await refused.Content.ReadAsStringAsync(ct);
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, problem);
            Assert.Contains(field, problem, StringComparison.Ordinal);
        }

        // The default has no server yet: nothing publishable until one is named (the probe keeps its local file).
        var incomplete = (await stack.GetAsync("/api/probes/fleet-c/config", ct)).Body;
        Assert.Equal(System.Text.Json.JsonValueKind.Null, incomplete.GetProperty("effective").ValueKind);
        Assert.True(incomplete.GetProperty("problems").TryGetProperty("servers", out _));

        // The version read is accepted once; the same If-Match again is stale.
        using (var first = await stack.PutAsync("/api/probes/fleet-c/config", new { scheduleMinutes = 5, servers = new[] { SampleResults.ServerId } }, etag, ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
            Assert.NotEqual(etag, first.Headers.ETag!.Tag);
        }

        using (var second = await stack.PutAsync("/api/probes/fleet-c/config", new { scheduleMinutes = 7, servers = new[] { SampleResults.ServerId } }, etag, ct))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
        }

        // The rate limiter and the silence alert read the same schedule: the registry's effective configuration.
        var probe = await stack.Server.Http.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/probes/fleet-c", ct);
        Assert.Equal("00:05:00", probe.GetProperty("scheduleInterval").GetString());
    }

    [Fact]
    public async Task A_probe_reads_only_its_own_config_and_commands_and_cannot_publish_there()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct);
        var a = await stack.EnrolLoopbackProbeAsync("fleet-iso-a", ct);
        await stack.EnrolLoopbackProbeAsync("fleet-iso-b", ct);
        var (_, etag) = await stack.GetAsync("/api/probes/fleet-iso-b/config", ct);
        using (var put = await stack.PutAsync("/api/probes/fleet-iso-b/config", new { servers = new[] { SampleResults.ServerId } }, etag, ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        }

        (_, etag) = await stack.GetAsync("/api/probes/fleet-iso-a/config", ct);
        using (var put = await stack.PutAsync("/api/probes/fleet-iso-a/config", new { servers = new[] { SampleResults.ServerId } }, etag, ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        }

        await stack.WaitForProbeConfigAsync("fleet-iso-b", c => c.Long("publishedVersion") == c.Long("version"), "B's configuration on the broker", ct);
        await stack.WaitForProbeConfigAsync("fleet-iso-a", c => c.Long("publishedVersion") == c.Long("version"), "A's configuration on the broker", ct);

        using var probeA = new MqttClientFactory().CreateMqttClient();
        var received = new System.Collections.Concurrent.ConcurrentBag<string>();
        probeA.ApplicationMessageReceivedAsync += e =>
        {
            received.Add(e.ApplicationMessage.Topic);
            return Task.CompletedTask;
        };
        Assert.Equal(MqttClientConnectResultCode.Success, await stack.ConnectAsync(probeA, "fleet-iso-a", a, ct));

        // Another probe's topics, and wildcards that would cover them: not authorised.
        var foreign = await probeA.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(Topics.Config("fleet-iso-b")).WithTopicFilter(Topics.Commands("fleet-iso-b"))
            .WithTopicFilter("hts/v1/probes/+/config").WithTopicFilter("hts/v1/probes/#").Build(), ct);
        Assert.All(foreign.Items, i => Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, i.ResultCode));

        // Its own: granted, and the retained configuration arrives.
        var own = await probeA.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(Topics.Config("fleet-iso-a"), MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(Topics.Commands("fleet-iso-a"), MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        Assert.All(own.Items, i => Assert.True((int)i.ResultCode <= 2, i.ResultCode.ToString()));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!received.Contains(Topics.Config("fleet-iso-a")) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct);
        }

        Assert.Contains(Topics.Config("fleet-iso-a"), received);
        Assert.DoesNotContain(Topics.Config("fleet-iso-b"), received);

        // A result claiming B's command is quarantined, not counted for B.
        using var measureB = await stack.Server.Http.PostAsJsonAsync("/api/probes/fleet-iso-b/measure", new { }, ct);
        var commandB = Guid.Parse((await measureB.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct)).Text("commandId")!);
        var claim = SampleResults.Create("fleet-iso-a", 0, DateTimeOffset.UtcNow.AddMinutes(-1)) with { CommandId = commandB };
        var published = await probeA.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topics.Results("fleet-iso-a"))
            .WithPayload(SampleResults.ToJson(claim)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        Assert.Equal(MqttClientPublishReasonCode.Success, published.ReasonCode);
        var rows = await QuarantineRows.WaitAsync(
            stack.Settings.PostgresConnectionString, r => r.Any(q => q.ResultId == claim.ResultId), TimeSpan.FromSeconds(120), () => stack.Server.Output, ct);
        Assert.Equal("foreign_command", rows.Single(q => q.ResultId == claim.ResultId).Kind);
        var (stateB, _) = await stack.GetAsync($"/api/probes/fleet-iso-b/commands/{commandB}", ct);
        Assert.Empty(stateB.GetProperty("resultIds").EnumerateArray());
        using (var notB = await stack.Server.Http.GetAsync($"/api/probes/fleet-iso-a/commands/{commandB}", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, notB.StatusCode);
        }

        // It cannot publish a configuration or a command, not even to itself (MQTTnet closes after a refused PUBACK: one client each).
        foreach (var topic in new[] { Topics.Config("fleet-iso-a"), Topics.Commands("fleet-iso-a"), Topics.Config("fleet-iso-b"), Topics.Acks("fleet-iso-b") })
        {
            using var writer = new MqttClientFactory().CreateMqttClient();
            await stack.ConnectAsync(writer, "fleet-iso-a", a, ct, clientId: "fleet-iso-a");
            var answer = await writer.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("{}"u8.ToArray())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
            Assert.True(answer.ReasonCode == MqttClientPublishReasonCode.NotAuthorized, $"{topic}: {answer.ReasonCode}");
        }
    }

    private static async Task<IReadOnlyList<Dictionary<string, System.Text.Json.JsonElement>>> WaitForRowsAsync(
        SecureStack stack, string query, int count, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(180);
        IReadOnlyList<Dictionary<string, System.Text.Json.JsonElement>> rows;
        while ((rows = await stack.Influx.RowsAsync(query, ct)).Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {count} row(s) of {query}\n{stack.Server.Output}");
            await Task.Delay(500, ct);
        }

        return rows;
    }
}
