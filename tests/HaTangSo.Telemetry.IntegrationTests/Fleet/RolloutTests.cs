using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.IntegrationTests.Security;
using HaTangSo.Telemetry.Server.Releases;
using HaTangSo.Telemetry.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.IntegrationTests.Fleet;

/// <summary>
/// Staged roll-outs (issue 15.5) on the real server, Mosquitto with dynamic security and PostgreSQL. Four enrolled probes
/// are simulated at the MQTT level with their own logins: each subscribes to its commands, and acknowledges and reports
/// its status as the probe agent does (the upgrade itself is proven by <see cref="UpgradeCommandTests"/>). A roll-out of
/// one, then two, then the last probe issues commands to the first wave only, advances when it reports the release,
/// and halts when a probe of the second wave reports a rollback — the third wave never gets a command.
/// </summary>
public sealed class RolloutTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private const string Release = "99.0.0";
    private static readonly string[] s_probes = ["ro-a", "ro-b", "ro-c", "ro-d"];

    [Fact]
    public async Task Rollout_IssuesTheFirstWaveOnly_AdvancesOnTheRelease_HaltsOnARollback()
    {
        var ct = TestContext.Current.CancellationToken;
        using var root = new TempDirectory("rollout");
        var releases = Directory.CreateDirectory(Path.Combine(root.Path, "releases")).FullName;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct, extra: new Dictionary<string, string?>
        {
            ["Releases__Directory"] = releases,
            // A round every second instead of every minute: the test waits for conditions, never for the clock.
            ["Fleet__RolloutInterval"] = "00:00:01",
        });
        await SignReleaseAsync(root.Path, releases, ct);

        var received = new ConcurrentDictionary<string, ConcurrentQueue<CommandMessage>>();
        var clients = new Dictionary<string, IMqttClient>();
        try
        {
            foreach (var id in s_probes)
            {
                clients[id] = await ConnectProbeAsync(stack, id, received.GetOrAdd(id, _ => new()), ct);
                await PublishStatusAsync(clients[id], id, "0.1.0", null, ct);
            }

            await WaitAsync(stack, "/api/probes/status", s => s_probes.All(id => s.EnumerateArray().Any(p => p.Text("probeId") == id && p.Text("agentVersion") == "0.1.0")),
                "every probe to report 0.1.0", ct);

            // Refused input names the field and the rule.
            await RefusedAsync(stack, new { version = Release, scope = new { probes = new[] { "ro-zz" } } }, "scope.probes[0]", "registered, enabled probe", ct);
            await RefusedAsync(stack, new { version = "98.0.0", scope = new { fleet = true } }, "version", "no complete release", ct);
            await RefusedAsync(stack, new { version = Release, scope = new { fleet = true }, waves = new object[] { new { percent = 50 }, new { percent = 25 } } },
                "waves[1].percent", "above the previous wave", ct);
            await RefusedAsync(stack, new { version = Release, scope = new { communes = new[] { "00001" } } }, "scope.communes[0]", "no registered, enabled probe", ct);

            using var created = await stack.Server.Http.PostAsJsonAsync("/api/rollouts", new
            {
                version = Release,
                scope = new { probes = s_probes },
                waves = new object[] { new { count = 1 }, new { count = 3 }, new { percent = 100 } },
                maxFailedProbes = 0,
                reportWithinMinutes = 60,
            }, ct);
            var createdText = await created.Content.ReadAsStringAsync(ct);
            Assert.True(created.StatusCode == HttpStatusCode.Created, createdText);
            var rolloutId = JsonDocument.Parse(createdText).RootElement.GetProperty("rollout").Text("rolloutId")!;
            var path = $"/api/rollouts/{rolloutId}";
            var plan = Waves(JsonDocument.Parse(createdText).RootElement);
            Assert.Equal([1, 2, 1], plan.Select(w => w.Length));

            // Wave 1 only: its probe gets the upgrade command; nobody else does, since wave 2 waits for wave 1's report.
            var canary = plan[0][0];
            var command = await WaitForCommandAsync(received[canary], canary, ct);
            Assert.Equal(CommandKinds.Upgrade, command.Kind);
            Assert.Equal(Release, command.Version);
            var view = await WaitAsync(stack, path, r => ProbeViews(r).Single(p => p.Text("probeId") == canary).Text("commandId") is not null, "wave 1's command", ct);
            Assert.All(plan.Skip(1).SelectMany(w => w), id => Assert.True(received[id].IsEmpty, $"{id} got a command before wave 1 passed"));
            Assert.All(ProbeViews(view).Where(p => p.Text("probeId") != canary), p => Assert.Equal("waiting", p.Text("outcome")));

            // The canary installs it and confirms its trial: wave 2 starts.
            await AcknowledgeAsync(clients[canary], canary, command.CommandId, ct);
            await PublishStatusAsync(clients[canary], canary, Release, UpgradeStateKind.Confirmed, ct);
            var second = new Dictionary<string, CommandMessage>();
            foreach (var id in plan[1])
            {
                second[id] = await WaitForCommandAsync(received[id], id, ct);
            }

            // One probe of wave 2 rolls back after its trial: with no failure allowed, the roll-out halts.
            var (failing, other) = (plan[1][0], plan[1][1]);
            await AcknowledgeAsync(clients[failing], failing, second[failing].CommandId, ct);
            await PublishStatusAsync(clients[failing], failing, "0.1.0", UpgradeStateKind.RolledBack, ct);
            var halted = await WaitAsync(stack, path, r => r.GetProperty("rollout").Text("state") == "halted", "the roll-out to halt", ct);
            Assert.Contains("wave 2: 1 of 2", halted.GetProperty("rollout").Text("reason"), StringComparison.Ordinal);
            var wave2 = ProbeViews(halted).Where(p => plan[1].Contains(p.Text("probeId"))).ToDictionary(p => p.Text("probeId")!);
            Assert.Equal("failed", wave2[failing].Text("outcome"));
            Assert.Equal("pending", wave2[other].Text("outcome"));
            Assert.Equal(["passed", "halted", "waiting"], halted.GetProperty("waves").EnumerateArray().Select(w => w.Text("state")));

            // The last wave never got a command; cancelling ends the roll-out.
            var last = plan[2][0];
            Assert.True(received[last].IsEmpty, $"{last} got a command although the roll-out halted");
            Assert.Null(ProbeViews(halted).Single(p => p.Text("probeId") == last).Text("commandId"));
            using var cancelled = await stack.Server.Http.PostAsync($"{path}/cancel", null, ct);
            Assert.True(cancelled.StatusCode == HttpStatusCode.OK, await cancelled.Content.ReadAsStringAsync(ct));
            var (list, _) = await stack.GetAsync("/api/rollouts", ct);
            Assert.Equal("cancelled", list.EnumerateArray().Single(r => r.Text("rolloutId") == rolloutId).Text("state"));
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }
    }

    private static async Task SignReleaseAsync(string root, string releases, CancellationToken ct)
    {
        var (privatePem, _) = ReleaseSignature.CreateKeyPair();
        using var key = ReleaseSignature.LoadPrivateKey(privatePem);
        var build = Path.Combine(root, "hts-probe");
        await File.WriteAllTextAsync(build, $"#!/bin/sh\necho {Release}\n", ct);
        var signed = await new ReleaseSigner(key, TimeProvider.System).SignAsync(build, ProbeArchitecture.LinuxX64, ReleaseVersion.Parse(Release), releases, ct);
        Assert.StartsWith("Signed", signed, StringComparison.Ordinal);
    }

    /// <summary>Enrols the probe and logs in as it, subscribed to its commands like the agent (QoS 1).</summary>
    private static async Task<IMqttClient> ConnectProbeAsync(SecureStack stack, string id, ConcurrentQueue<CommandMessage> inbox, CancellationToken ct)
    {
        var password = await stack.EnrolLoopbackProbeAsync(id, ct);
        var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            if (JsonSerializer.Deserialize(e.ApplicationMessage.Payload.ToArray(), ContractsJsonContext.Default.CommandMessage) is { } command)
            {
                inbox.Enqueue(command);
            }

            return Task.CompletedTask;
        };
        await stack.ConnectAsync(client, id, password, ct);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(Topics.Commands(id), MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        return client;
    }

    private static async Task PublishStatusAsync(IMqttClient client, string id, string version, UpgradeStateKind? upgrade, CancellationToken ct)
    {
        var status = new StatusMessage
        {
            ProbeId = id,
            State = ProbeState.Online,
            At = DateTimeOffset.UtcNow,
            AgentVersion = version,
            QueueDepth = 0,
            QueueEvicted = 0,
            Upgrade = upgrade is { } state
                ? new UpgradeStatus
                {
                    State = state, From = "0.1.0", To = Release, At = DateTimeOffset.UtcNow,
                    Detail = state == UpgradeStateKind.Confirmed ? "self-test and broker login passed" : "self-test failed: exit 3",
                }
                : null,
        };
        await PublishAsync(client, Topics.Status(id), JsonSerializer.SerializeToUtf8Bytes(status, ContractsJsonContext.Default.StatusMessage), retain: true, ct);
    }

    private static Task AcknowledgeAsync(IMqttClient client, string id, Guid commandId, CancellationToken ct) => PublishAsync(client, Topics.Acks(id),
        JsonSerializer.SerializeToUtf8Bytes(new CommandAck { CommandId = commandId, ProbeId = id, State = CommandStates.Done, Reason = $"installed {Release}", At = DateTimeOffset.UtcNow },
            ContractsJsonContext.Default.CommandAck), retain: false, ct);

    private static async Task PublishAsync(IMqttClient client, string topic, byte[] payload, bool retain, CancellationToken ct)
    {
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithContentType("application/json").Build();
        Assert.Equal(MqttClientPublishReasonCode.Success, (await client.PublishAsync(message, ct)).ReasonCode);
    }

    private static async Task RefusedAsync(SecureStack stack, object body, string field, string says, CancellationToken ct)
    {
        using var response = await stack.Server.Http.PostAsJsonAsync("/api/rollouts", body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out var problems), text);
        Assert.Contains(says, problems[0].GetString(), StringComparison.Ordinal);
    }

    private static async Task<CommandMessage> WaitForCommandAsync(ConcurrentQueue<CommandMessage> inbox, string id, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!inbox.TryPeek(out _))
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for a command to {id}");
            await Task.Delay(200, ct);
        }

        Assert.True(inbox.TryPeek(out var command));
        Assert.Equal(id, command.ProbeId);
        return command;
    }

    private static async Task<JsonElement> WaitAsync(SecureStack stack, string path, Func<JsonElement, bool> condition, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        JsonElement last;
        while (!condition(last = (await stack.GetAsync(path, ct)).Body))
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}; last: {last}\n{stack.Server.Output}");
            await Task.Delay(300, ct);
        }

        return last;
    }

    private static string[][] Waves(JsonElement rollout) => rollout.GetProperty("waves").EnumerateArray()
        .Select(w => w.GetProperty("probes").EnumerateArray().Select(p => p.Text("probeId")!).ToArray()).ToArray();

    private static IEnumerable<JsonElement> ProbeViews(JsonElement rollout) =>
        rollout.GetProperty("waves").EnumerateArray().SelectMany(w => w.GetProperty("probes").EnumerateArray());
}
