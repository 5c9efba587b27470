using System.Net;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;
using MQTTnet;

namespace HaTangSo.Telemetry.IntegrationTests.Security;

/// <summary>
/// Probes enrolled through the API on a real Mosquitto with the dynamic-security plugin: each may publish only
/// below its own topic, none may read, the server's identity may only read, and a revoked probe is disconnected
/// and cannot come back.
/// </summary>
public sealed class ProbeIsolationTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    [Fact]
    public async Task A_probe_cannot_speak_for_another_nor_read_and_a_revoked_probe_is_disconnected()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct);
        var a = await stack.EnrolAsync("probe-a", ct);
        var b = await stack.EnrolAsync("probe-b", ct);
        Assert.Equal("probe-a", a.GetProperty("config").GetProperty("probeId").GetString());
        Assert.Equal("/etc/hts-probe/mqtt-password", a.GetProperty("config").GetProperty("broker").GetProperty("passwordFile").GetString());
        var passwordA = a.GetProperty("mqttPassword").GetString()!;

        // Publishing into probe B's topics is refused with the MQTT 5 reason code, and nothing reaches InfluxDB.
        // (MQTTnet closes its connection itself after a PUBACK of 0x80 or more, so each attempt has its own client.)
        foreach (var topic in new[] { Topics.Results("probe-b"), Topics.Status("probe-b") })
        {
            using var forger = new MqttClientFactory().CreateMqttClient();
            Assert.Equal(MqttClientConnectResultCode.Success, await stack.ConnectAsync(forger, "probe-a", passwordA, ct));
            var forged = await forger.PublishAsync(SecureStack.Result("probe-b", topic), ct);
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, forged.ReasonCode);
        }

        // A message above the broker's size limit (64 KiB) is refused at the broker, even on its own topic.
        using (var oversized = new MqttClientFactory().CreateMqttClient())
        {
            Assert.Equal(MqttClientConnectResultCode.Success, await stack.ConnectAsync(oversized, "probe-a", passwordA, ct));
            var huge = new MqttApplicationMessageBuilder().WithTopic(Topics.Results("probe-a")).WithPayload(new byte[70_000])
                .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build();
            var refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                var answer = await oversized.PublishAsync(huge, ct);
                throw new InvalidOperationException(answer.ReasonCode.ToString());
            });
            Assert.DoesNotContain("Success", refused.Message, StringComparison.Ordinal);
        }

        using var probeA = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, await stack.ConnectAsync(probeA, "probe-a", passwordA, ct));

        // Reading other probes' topics (or anything) is refused.
        var subscribed = await probeA.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("hts/v1/probes/+/results").WithTopicFilter("#").Build(), ct);
        Assert.All(subscribed.Items, i => Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, i.ResultCode));

        // Its own results are accepted and land; the forged ones never did.
        var own = await probeA.PublishAsync(SecureStack.Result("probe-a", Topics.Results("probe-a")), ct);
        Assert.Equal(MqttClientPublishReasonCode.Success, own.ReasonCode);
        await stack.WaitForResultsAsync(1, ct);
        var rows = await stack.Influx.RowsAsync("SELECT probe, download_mbps FROM speedtest", ct);
        Assert.Equal("probe-a", Assert.Single(rows)["probe"].GetString());

        // A wrong password and no credentials: refused.
        using (var intruder = new MqttClientFactory().CreateMqttClient())
        {
            Assert.NotEqual(MqttClientConnectResultCode.Success, await stack.ConnectAsync(intruder, "probe-b", "not-the-password", ct, throwOnFailure: false));
        }

        using (var anonymous = new MqttClientFactory().CreateMqttClient())
        {
            Assert.NotEqual(MqttClientConnectResultCode.Success, await stack.ConnectAsync(anonymous, null, null, ct, throwOnFailure: false));
        }

        // Revocation disconnects probe A at once; it cannot connect again; its past result stays.
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probeA.DisconnectedAsync += _ =>
        {
            disconnected.TrySetResult();
            return Task.CompletedTask;
        };
        using (var revoked = await stack.Server.Http.PostAsync("/api/probes/probe-a/revoke", null, ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        using (var again = new MqttClientFactory().CreateMqttClient())
        {
            Assert.NotEqual(MqttClientConnectResultCode.Success, await stack.ConnectAsync(again, "probe-a", passwordA, ct, throwOnFailure: false));
        }

        Assert.Single(await stack.Influx.RowsAsync("SELECT probe, download_mbps FROM speedtest", ct));

        // Probe B, untouched, still works.
        using var probeB = new MqttClientFactory().CreateMqttClient();
        await stack.ConnectAsync(probeB, "probe-b", b.GetProperty("mqttPassword").GetString()!, ct);
        Assert.Equal(MqttClientPublishReasonCode.Success, (await probeB.PublishAsync(SecureStack.Result("probe-b", Topics.Results("probe-b")), ct)).ReasonCode);

        // The server's own identity may not write. (Its login is bound to its client id, so the check stands in for the
        // stopped server, resuming its session rather than discarding it.)
        await stack.Server.StopAsync();
        using var serverIdentity = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, await stack.ConnectAsync(serverIdentity, stack.ServerUsername, stack.ServerPassword, ct, cleanStart: false));
        var write = await serverIdentity.PublishAsync(SecureStack.Result("probe-b", Topics.Results("probe-b")), ct);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, write.ReasonCode);
    }
}
