using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>
/// One connection of the plugin's administrator (<see cref="DynamicSecurity.OpenAsync"/>), subscribed to the response
/// topic, for any number of commands: one login at the broker however many follow. One call at a time: each call reads
/// the answers until it has its own.
/// </summary>
internal sealed class DynamicSecuritySession : IAsyncDisposable
{
    private const string ControlTopic = "$CONTROL/dynamic-security/v1";
    private const string ResponseTopic = ControlTopic + "/response";

    // Per connection and per message: a broker that does not answer in this time is treated as unreachable (transient).
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private readonly IMqttClient _client;
    private readonly Channel<JsonNode?> _answers = Channel.CreateUnbounded<JsonNode?>(new UnboundedChannelOptions { SingleReader = true });

    private DynamicSecuritySession(IMqttClient client)
    {
        _client = client;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            _answers.Writer.TryWrite(Parse(e.ApplicationMessage.Payload));
            return Task.CompletedTask;
        };
    }

    /// <summary>Connects with <paramref name="options"/> (the administrator's login) and subscribes to the plugin's answers.</summary>
    public static async Task<DynamicSecuritySession> OpenAsync(MqttClientOptions options, CancellationToken cancellationToken)
    {
        var session = new DynamicSecuritySession(new MqttClientFactory().CreateMqttClient());
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(s_timeout);
            var connected = await session._client.ConnectAsync(options, timeout.Token);
            if (connected.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new DynamicSecurityException("connect", connected.ResultCode.ToString());
            }

            await session._client.SubscribeAsync(ResponseTopic, MqttQualityOfServiceLevel.AtLeastOnce, timeout.Token);
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="commands"/> in order, one message each, each answer awaited before the next: a refusal not in
    /// <paramref name="tolerated"/> throws <see cref="DynamicSecurityException"/> and the commands after it are not sent
    /// (for sequences where a command depends on the ones before it). Returns each one's response.
    /// </summary>
    public async Task<IReadOnlyList<JsonNode?>> ExecuteAsync(
        IReadOnlyList<JsonObject> commands, IReadOnlyCollection<string> tolerated, CancellationToken cancellationToken)
    {
        var responses = new List<JsonNode?>(commands.Count);
        foreach (var command in commands)
        {
            responses.AddRange(await SendAsync([command], tolerated, cancellationToken));
        }

        return responses;
    }

    /// <summary>
    /// Sends <paramref name="commands"/> in one message: one round trip. The plugin runs them in order and answers each,
    /// and a refusal does not stop the ones after it (Mosquitto 2.0, plugins/dynamic-security/plugin.c,
    /// <c>dynsec__handle_control</c>), so only for commands that do not depend on each other. The first refusal not in
    /// <paramref name="tolerated"/> throws <see cref="DynamicSecurityException"/> once every answer has arrived.
    /// </summary>
    public Task<IReadOnlyList<JsonNode?>> ExecuteTogetherAsync(
        IReadOnlyList<JsonObject> commands, IReadOnlyCollection<string> tolerated, CancellationToken cancellationToken) =>
        SendAsync(commands, tolerated, cancellationToken);

    private async Task<IReadOnlyList<JsonNode?>> SendAsync(
        IReadOnlyList<JsonObject> commands, IReadOnlyCollection<string> tolerated, CancellationToken cancellationToken)
    {
        // The plugin publishes every answer to every subscriber of the response topic, so another administrator's answers
        // arrive here too (a second server instance, a concurrent request): each command carries its own
        // correlationData, which the plugin echoes, and only the answers carrying ours count.
        var correlations = new string[commands.Count];
        var sent = new JsonArray();
        for (var i = 0; i < commands.Count; i++)
        {
            correlations[i] = Guid.NewGuid().ToString("N");
            var command = (JsonObject)commands[i].DeepClone();
            command["correlationData"] = correlations[i];
            sent.Add(command);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_timeout);
        await _client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(ControlTopic)
            .WithPayload(Encoding.UTF8.GetBytes(new JsonObject { ["commands"] = sent }.ToJsonString()))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build(), timeout.Token);
        var responses = await AnswersToAsync(correlations, timeout.Token);
        for (var i = 0; i < responses.Length; i++)
        {
            var error = responses[i]?["error"]?.GetValue<string>();
            if (error is not null && !tolerated.Contains(error))
            {
                throw new DynamicSecurityException(commands[i]["command"]!.GetValue<string>(), error);
            }
        }

        return responses;
    }

    // The responses carrying our correlationData, in the commands' order; other administrators' answers (and anything
    // unreadable) are skipped.
    private async Task<JsonNode?[]> AnswersToAsync(string[] correlations, CancellationToken cancellationToken)
    {
        var responses = new JsonNode?[correlations.Length];
        var missing = correlations.Length;
        while (missing > 0)
        {
            var answer = await _answers.Reader.ReadAsync(cancellationToken);
            foreach (var response in answer?["responses"] as JsonArray ?? [])
            {
                if (response?["correlationData"] is JsonValue value && value.TryGetValue<string>(out var echoed)
                    && Array.IndexOf(correlations, echoed) is var index and >= 0 && responses[index] is null)
                {
                    responses[index] = response.DeepClone();
                    missing--;
                }
            }
        }

        return responses;
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

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _client.DisconnectAsync(cancellationToken: timeout.Token);
            }
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException)
        {
            // The connection is gone or going: disposing the client below closes what is left of it.
        }
        finally
        {
            _client.Dispose();
        }
    }
}
