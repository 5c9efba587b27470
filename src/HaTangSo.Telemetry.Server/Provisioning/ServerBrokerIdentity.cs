using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>
/// This server instance's own broker logins (<c>Mqtt:Username</c>, and <c>{ClientId}-live</c> for the live lane), each
/// bound to its client id, with the rights of <see cref="ServerRole"/> and <see cref="LiveRole"/>; made at start-up with
/// the plugin's administrator (<see cref="ProvisioningStartup"/>).
/// </summary>
internal sealed class ServerBrokerIdentity(DynamicSecurity broker, IOptions<MqttOptions> mqtt)
{
    /// <summary>The server's own role: it reads results, status and acknowledgements, and publishes configurations and commands.</summary>
    public const string ServerRole = "hts-server";

    /// <summary>
    /// The live lane's role (<see cref="MqttOptions.LiveClientId"/>): it may only subscribe to the results through the
    /// live share group and receive them. No status, acknowledgements, configurations or commands.
    /// </summary>
    public const string LiveRole = "hts-server-live";

    /// <summary>
    /// Creates (or updates) this instance's broker client <c>Mqtt:Username</c>, bound to <c>Mqtt:ClientId</c>, with
    /// read-only access to results and status.
    /// </summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        var settings = mqtt.Value;
        await using var session = await broker.OpenAsync(cancellationToken);
        var commands = new List<JsonObject> { DynamicSecurity.Command("createRole", ("rolename", ServerRole)) };
        foreach (var topic in new[] { Topics.ResultsSharedSubscription, Topics.ProbesPrefix + "+/results", Topics.StatusSubscription })
        {
            commands.Add(DynamicSecurity.Acl(ServerRole, "subscribePattern", topic, allow: true));
        }

        foreach (var topic in new[] { Topics.ProbesPrefix + "+/results", Topics.StatusSubscription, Topics.AcksSubscription })
        {
            commands.Add(DynamicSecurity.Acl(ServerRole, "publishClientReceive", topic, allow: true));
        }

        // Issue 15: the server publishes each probe's configuration (retained) and its commands, and reads acknowledgements.
        commands.Add(DynamicSecurity.Acl(ServerRole, "subscribePattern", Topics.AcksSubscription, allow: true));
        foreach (var topic in new[] { Topics.ProbesPrefix + "+/config", Topics.ProbesPrefix + "+/commands" })
        {
            commands.Add(DynamicSecurity.Acl(ServerRole, "publishClientSend", topic, allow: true));
        }

        commands.Add(DynamicSecurity.Command("createClient", ("username", settings.Username), ("password", settings.Password), ("clientid", settings.ClientId)));
        // An existing client (an older release, or a changed client id) is brought to the same state.
        commands.Add(DynamicSecurity.Command("setClientId", ("username", settings.Username), ("clientid", settings.ClientId)));
        commands.Add(DynamicSecurity.Command("setClientPassword", ("username", settings.Username), ("password", settings.Password)));
        if (!await HasRoleAsync(session, settings.Username!, ServerRole, cancellationToken))
        {
            commands.Add(DynamicSecurity.Command("addClientRole", ("username", settings.Username), ("rolename", ServerRole), ("priority", 0)));
        }

        if (settings.LiveLane.Enabled)
        {
            AddLiveIdentity(commands, settings, await HasRoleAsync(session, settings.Username + "-live", LiveRole, cancellationToken));
        }

        await session.ExecuteAsync(commands, DynamicSecurity.Idempotent, cancellationToken);
    }

    // Mosquitto 2.0 answers addClientRole for a role the client already has with "Internal error"
    // (plugins/dynamic-security/clients.c: dynsec_rolelist__client_add returns MOSQ_ERR_ALREADY_EXISTS), not with a refusal
    // that says "already so": so a restart would stop here for good. The role is added only to a client that lacks it.
    private static async Task<bool> HasRoleAsync(DynamicSecuritySession session, string username, string role, CancellationToken cancellationToken)
    {
        var answer = (await session.ExecuteAsync([DynamicSecurity.Command("getClient", ("username", username))], ["Client not found"], cancellationToken))[0];
        return (answer?["data"]?["client"]?["roles"] as JsonArray ?? []).Any(r => r?["rolename"]?.GetValue<string>() == role);
    }

    // The live lane's login: username = client id = {ClientId}-live, bound to that client id, the same password, and a
    // role that reads results and nothing else (the ACL patterns mirror the server role's for the results).
    private static void AddLiveIdentity(List<JsonObject> commands, MqttOptions settings, bool hasRole)
    {
        var username = settings.Username + "-live";
        commands.Add(DynamicSecurity.Command("createRole", ("rolename", LiveRole)));
        commands.Add(DynamicSecurity.Acl(LiveRole, "subscribePattern", Topics.LiveResultsSharedSubscription, allow: true));
        commands.Add(DynamicSecurity.Acl(LiveRole, "subscribePattern", Topics.ProbesPrefix + "+/results", allow: true));
        commands.Add(DynamicSecurity.Acl(LiveRole, "publishClientReceive", Topics.ProbesPrefix + "+/results", allow: true));
        commands.Add(DynamicSecurity.Command("createClient", ("username", username), ("password", settings.Password), ("clientid", settings.LiveClientId)));
        commands.Add(DynamicSecurity.Command("setClientId", ("username", username), ("clientid", settings.LiveClientId)));
        commands.Add(DynamicSecurity.Command("setClientPassword", ("username", username), ("password", settings.Password)));
        if (!hasRole)
        {
            commands.Add(DynamicSecurity.Command("addClientRole", ("username", username), ("rolename", LiveRole), ("priority", 0)));
        }
    }
}
