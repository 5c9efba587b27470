using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>A dynamic-security command the broker refused.</summary>
public sealed class DynamicSecurityException(string command, string error) : Exception($"Broker refused {command}: {error}")
{
    /// <summary>The broker's error text (for example "Client already exists").</summary>
    public string Error { get; } = error;
}

/// <summary>
/// Mosquitto's dynamic-security API (mosquitto.org/documentation/dynamic-security): JSON commands published to
/// <c>$CONTROL/dynamic-security/v1</c> as the plugin's administrator, answers read from
/// <c>$CONTROL/dynamic-security/v1/response</c>. Changes apply at once, without a reload; deleting a client
/// disconnects it.
/// </summary>
internal sealed class DynamicSecurity(IOptions<MqttOptions> mqtt, IOptions<ProvisioningOptions> provisioning)
{
    /// <summary>
    /// The refusals that mean "already so" (or "already gone"): a command list made only of creations and additions, run
    /// again, tolerates these and brings the broker to the same state.
    /// </summary>
    public static readonly string[] Idempotent =
        ["Client already exists", "Role already exists", "Client not found", "Role not found", "ACL with this topic already exists", "Role is already in client"];

    private const string ControlTopic = "$CONTROL/dynamic-security/v1";
    private const string ResponseTopic = ControlTopic + "/response";

    /// <summary>
    /// Runs <paramref name="commands"/> in order and returns each one's response (<c>{"command", "data"?, "error"?}</c>);
    /// errors listed in <paramref name="tolerated"/> are returned, any other stops the sequence with a
    /// <see cref="DynamicSecurityException"/>.
    /// </summary>
    public async Task<IReadOnlyList<JsonNode?>> ExecuteAsync(
        IReadOnlyList<JsonObject> commands, IReadOnlyCollection<string> tolerated, CancellationToken cancellationToken)
    {
        var responses = new List<JsonNode?>(commands.Count);
        var settings = mqtt.Value;
        using var client = new MqttClientFactory().CreateMqttClient();
        var answers = Channel.CreateUnbounded<JsonNode?>(new UnboundedChannelOptions { SingleReader = true });
        client.ApplicationMessageReceivedAsync += e =>
        {
            answers.Writer.TryWrite(Parse(e.ApplicationMessage.Payload));
            return Task.CompletedTask;
        };
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(settings.Host, settings.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId("hts-provisioning-" + Guid.NewGuid().ToString("N")[..8])
            .WithCleanStart()
            .WithCredentials(provisioning.Value.AdminUsername, provisioning.Value.AdminPassword);
        if (settings.UseTls)
        {
            options = options.WithTlsOptions(tls => MqttTls.Configure(tls, settings.CaCertificatePath));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var connected = await client.ConnectAsync(options.Build(), timeout.Token);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new DynamicSecurityException("connect", connected.ResultCode.ToString());
        }

        await client.SubscribeAsync(ResponseTopic, MqttQualityOfServiceLevel.AtLeastOnce, timeout.Token);
        // One command per message: the answer of each is awaited before the next, so a failure stops the sequence.
        // The plugin publishes every answer to every subscriber of the response topic, so another administrator's
        // answers arrive here too (a second server instance, a concurrent request): each command carries its own
        // correlationData, which the plugin echoes, and only the answer carrying it counts.
        foreach (var command in commands)
        {
            var correlation = Guid.NewGuid().ToString("N");
            var sent = (JsonObject)command.DeepClone();
            sent["correlationData"] = correlation;
            var body = new JsonObject { ["commands"] = new JsonArray(sent) };
            await client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(ControlTopic)
                .WithPayload(Encoding.UTF8.GetBytes(body.ToJsonString()))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build(), timeout.Token);
            var response = await AnswerToAsync(answers.Reader, correlation, timeout.Token);
            var error = response?["error"]?.GetValue<string>();
            if (error is not null && !tolerated.Contains(error))
            {
                throw new DynamicSecurityException(command["command"]!.GetValue<string>(), error);
            }

            responses.Add(response);
        }

        await client.DisconnectAsync(cancellationToken: CancellationToken.None);
        return responses;
    }

    // The response carrying our correlationData; other administrators' answers (and anything unreadable) are skipped.
    private static async Task<JsonNode?> AnswerToAsync(ChannelReader<JsonNode?> answers, string correlation, CancellationToken cancellationToken)
    {
        while (true)
        {
            var answer = await answers.ReadAsync(cancellationToken);
            foreach (var response in answer?["responses"] as JsonArray ?? [])
            {
                if (response?["correlationData"] is JsonValue value && value.TryGetValue<string>(out var echoed) && echoed == correlation)
                {
                    return response.DeepClone();
                }
            }
        }
    }

    private static JsonNode? Parse(System.Buffers.ReadOnlySequence<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            return JsonNode.Parse(ref reader);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A command object: <c>{"command": name, ...fields}</c>.</summary>
    public static JsonObject Command(string name, params (string Key, JsonNode? Value)[] fields)
    {
        var command = new JsonObject { ["command"] = name };
        foreach (var (key, value) in fields)
        {
            command[key] = value;
        }

        return command;
    }

    /// <summary>An ACL entry of a role.</summary>
    public static JsonObject Acl(string role, string type, string topic, bool allow) => Command(
        "addRoleACL", ("rolename", role), ("acltype", type), ("topic", topic), ("allow", allow), ("priority", 0));
}
