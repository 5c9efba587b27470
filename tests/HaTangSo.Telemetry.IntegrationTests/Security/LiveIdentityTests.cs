using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;
using MQTTnet;

namespace HaTangSo.Telemetry.IntegrationTests.Security;

/// <summary>
/// The server's second broker identity, for its live lane (<c>{ClientId}-live</c>), created by the server through
/// dynamic security next to its main one: bound to its client id, it may receive results through the live share group
/// and nothing else — less than the main identity, which also reads status and acknowledgements.
/// </summary>
public sealed class LiveIdentityTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    [Fact]
    public async Task LiveIdentity_ReceivesResultsOnly_BoundToItsClientId_NoMoreThanTheMainIdentity()
    {
        var ct = TestContext.Current.CancellationToken;
        // The live lane is on by default: the server provisions the live identity at start-up (the lane itself opens only
        // on a backlog, LiveLaneTests; the checks below log in with the identity the server created).
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct);
        var probePassword = (await stack.EnrolAsync("probe-a", ct)).GetProperty("mqttPassword").GetString()!;
        var live = stack.ServerUsername + "-live";
        // Stopped, both client ids are free for the checks.
        await stack.Server.StopAsync();

        // Bound to its client id: the right password with another client id (the main one's, or any) is refused.
        foreach (var clientId in new[] { stack.ServerUsername, "hts-someone" })
        {
            using var thief = new MqttClientFactory().CreateMqttClient();
            Assert.NotEqual(MqttClientConnectResultCode.Success,
                await stack.ConnectAsync(thief, live, stack.ServerPassword, ct, throwOnFailure: false, clientId: clientId));
        }

        using var lane = new MqttClientFactory().CreateMqttClient();
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lane.ApplicationMessageReceivedAsync += e =>
        {
            received.TrySetResult(e.ApplicationMessage.Topic);
            return Task.CompletedTask;
        };
        Assert.Equal(MqttClientConnectResultCode.Success, await stack.ConnectAsync(lane, live, stack.ServerPassword, ct));
        var granted = await lane.SubscribeAsync(Topics.LiveResultsSharedSubscription, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, ct);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, Assert.Single(granted.Items).ResultCode);

        // Nothing else to read: status, acknowledgements, configurations, commands, the plugin's answers, everything.
        var refused = await lane.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(Topics.StatusSubscription).WithTopicFilter(Topics.AcksSubscription)
            .WithTopicFilter(Topics.ProbesPrefix + "+/config").WithTopicFilter(Topics.ProbesPrefix + "+/commands")
            .WithTopicFilter("$CONTROL/dynamic-security/v1/response").WithTopicFilter("#").Build(), ct);
        Assert.All(refused.Items, i => Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, i.ResultCode));

        // A probe's result reaches it.
        using (var probe = new MqttClientFactory().CreateMqttClient())
        {
            Assert.Equal(MqttClientConnectResultCode.Success, await stack.ConnectAsync(probe, "probe-a", probePassword, ct));
            Assert.Equal(MqttClientPublishReasonCode.Success, (await probe.PublishAsync(SecureStack.Result("probe-a", Topics.Results("probe-a")), ct)).ReasonCode);
        }

        Assert.Equal(Topics.Results("probe-a"), await received.Task.WaitAsync(TimeSpan.FromMinutes(1), ct));

        await lane.DisconnectAsync(cancellationToken: ct);

        // Nothing to write, not even what the main identity may (configurations and commands). MQTTnet closes its
        // connection after a refused PUBACK, so each attempt has its own client.
        foreach (var topic in new[] { Topics.Results("probe-a"), Topics.Status("probe-a"), Topics.Config("probe-a"), Topics.Commands("probe-a") })
        {
            using var writer = new MqttClientFactory().CreateMqttClient();
            Assert.Equal(MqttClientConnectResultCode.Success, await stack.ConnectAsync(writer, live, stack.ServerPassword, ct, clientId: live));
            var answer = await writer.PublishAsync(SecureStack.Result("probe-a", topic), ct);
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, answer.ReasonCode);
        }

        // The main identity may read the status the live one may not: the live identity has strictly less.
        using var main = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, await stack.ConnectAsync(main, stack.ServerUsername, stack.ServerPassword, ct, cleanStart: false));
        var status = await main.SubscribeAsync(Topics.StatusSubscription, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, ct);
        Assert.True((int)Assert.Single(status.Items).ResultCode <= 2, status.Items.Single().ResultCode.ToString());
    }
}
