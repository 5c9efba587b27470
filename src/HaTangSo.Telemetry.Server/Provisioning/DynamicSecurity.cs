using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;
using MQTTnet;

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

    /// <summary>
    /// Runs <paramref name="commands"/> in order on a connection of its own and returns each one's response
    /// (<c>{"command", "data"?, "error"?}</c>); errors listed in <paramref name="tolerated"/> are returned, any other stops
    /// the sequence with a <see cref="DynamicSecurityException"/>.
    /// </summary>
    public async Task<IReadOnlyList<JsonNode?>> ExecuteAsync(
        IReadOnlyList<JsonObject> commands, IReadOnlyCollection<string> tolerated, CancellationToken cancellationToken)
    {
        await using var session = await OpenAsync(cancellationToken);
        return await session.ExecuteAsync(commands, tolerated, cancellationToken);
    }

    /// <summary>
    /// Connects as the plugin's administrator for several changes on one connection: one login (a password check at the
    /// broker) however many commands follow.
    /// </summary>
    public Task<DynamicSecuritySession> OpenAsync(CancellationToken cancellationToken)
    {
        var settings = mqtt.Value;
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

        return DynamicSecuritySession.OpenAsync(options.Build(), cancellationToken);
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
