using System.Security.Cryptography;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>What an enrolment hands over: the probe's broker password (shown once) and its configuration file.</summary>
public sealed record EnrolmentResult(string ProbeId, string MqttUsername, string MqttPassword, JsonObject Config);

/// <summary>
/// Enrols and revokes probes. A probe gets its own broker client (username = probe id, a random 192-bit password)
/// and its own role that may publish to <c>hts/v1/probes/{id}/results</c> and <c>.../status</c> and nothing else:
/// it cannot write for another probe nor read anything (the plugin's defaults deny subscriptions and other
/// publishes). Revocation deletes the client, which disconnects it at once, and disables it in the registry so
/// anything it queued is quarantined; its past results stay.
/// </summary>
internal sealed class ProbeEnrolment(
    DynamicSecurity broker, RegistryStore registry, ProbeDirectory directory, IOptions<ProvisioningOptions> options, IOptions<MqttOptions> mqtt)
{
    /// <summary>The server's own role: it reads results and status, and publishes nothing.</summary>
    public const string ServerRole = "hts-server";

    private static readonly string[] s_tolerated =
        ["Client already exists", "Role already exists", "Client not found", "Role not found", "ACL with this topic already exists", "Role is already in client"];

    /// <summary>The role of one probe.</summary>
    public static string ProbeRole(string probeId) => "hts-probe-" + probeId;

    /// <summary>Creates (or updates) the server's broker client <c>Mqtt:Username</c> with read-only access to results and status.</summary>
    public Task EnsureServerIdentityAsync(CancellationToken cancellationToken)
    {
        var settings = mqtt.Value;
        var commands = new List<JsonObject> { DynamicSecurity.Command("createRole", ("rolename", ServerRole)) };
        foreach (var topic in new[] { Topics.ResultsSharedSubscription, Topics.ProbesPrefix + "+/results", Topics.StatusSubscription })
        {
            commands.Add(DynamicSecurity.Acl(ServerRole, "subscribePattern", topic, allow: true));
        }

        foreach (var topic in new[] { Topics.ProbesPrefix + "+/results", Topics.StatusSubscription })
        {
            commands.Add(DynamicSecurity.Acl(ServerRole, "publishClientReceive", topic, allow: true));
        }

        commands.Add(DynamicSecurity.Command("createClient", ("username", settings.Username), ("password", settings.Password)));
        commands.Add(DynamicSecurity.Command("setClientPassword", ("username", settings.Username), ("password", settings.Password)));
        commands.Add(DynamicSecurity.Command("addClientRole", ("username", settings.Username), ("rolename", ServerRole), ("priority", 0)));
        return broker.ExecuteAsync(commands, s_tolerated, cancellationToken);
    }

    /// <summary>Registers the probe and gives it fresh broker credentials (any earlier ones stop working).</summary>
    public async Task<EnrolmentResult> EnrolAsync(ProbeRegistration probe, CancellationToken cancellationToken)
    {
        await registry.UpsertProbeAsync(probe with { Enabled = true }, cancellationToken);
        await directory.ReloadAsync(cancellationToken);
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        var role = ProbeRole(probe.Id);
        await broker.ExecuteAsync(
        [
            DynamicSecurity.Command("deleteClient", ("username", probe.Id)),
            DynamicSecurity.Command("deleteRole", ("rolename", role)),
            DynamicSecurity.Command("createRole", ("rolename", role)),
            DynamicSecurity.Acl(role, "publishClientSend", Topics.Results(probe.Id), allow: true),
            DynamicSecurity.Acl(role, "publishClientSend", Topics.Status(probe.Id), allow: true),
            DynamicSecurity.Command("createClient", ("username", probe.Id), ("password", password),
                ("roles", new JsonArray(new JsonObject { ["rolename"] = role, ["priority"] = 0 }))),
        ], ["Client not found", "Role not found"], cancellationToken);
        return new EnrolmentResult(probe.Id, probe.Id, password, Config(probe));
    }

    /// <summary>Deletes the probe's broker client (disconnecting it) and disables it in the registry; false when unknown.</summary>
    public async Task<bool> RevokeAsync(string probeId, CancellationToken cancellationToken)
    {
        var known = await registry.SetEnabledAsync(probeId, false, cancellationToken);
        await directory.ReloadAsync(cancellationToken);
        await broker.ExecuteAsync(
            [DynamicSecurity.Command("deleteClient", ("username", probeId)), DynamicSecurity.Command("deleteRole", ("rolename", ProbeRole(probeId)))],
            ["Client not found", "Role not found"], cancellationToken);
        return known;
    }

    private JsonObject Config(ProbeRegistration probe)
    {
        var settings = options.Value;
        var links = new JsonArray();
        foreach (var link in probe.Links)
        {
            links.Add(new JsonObject
            {
                ["name"] = link.Name, ["access"] = link.Access, ["operator"] = link.Operator, ["technology"] = link.Technology,
                ["bind"] = "SET-ME: the address of this link's interface",
            });
        }

        return new JsonObject
        {
            ["probeId"] = probe.Id,
            ["broker"] = new JsonObject
            {
                ["host"] = settings.ProbeBrokerHost, ["port"] = settings.ProbeBrokerPort, ["tls"] = settings.ProbeBrokerTls,
                ["caFile"] = settings.ProbeBrokerTls ? settings.ProbeCaFile : null, ["passwordFile"] = "/etc/hts-probe/mqtt-password",
            },
            ["server"] = new JsonObject { ["url"] = settings.SpeedTestUrl.ToString(), ["id"] = settings.SpeedTestId },
            ["scheduleMinutes"] = (int)probe.ScheduleInterval.TotalMinutes,
            ["queuePath"] = "/var/lib/hts-probe/queue.db",
            ["links"] = links,
        };
    }
}
