using System.Security.Cryptography;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>What an enrolment hands over: the probe's broker password (shown once) and its configuration file.</summary>
public sealed record EnrolmentResult(string ProbeId, string MqttUsername, string MqttPassword, JsonObject Config);

/// <summary>What a revocation did.</summary>
public enum RevokeOutcome
{
    /// <summary>The broker client is deleted (disconnecting it) and the probe disabled.</summary>
    Revoked,

    /// <summary>No probe of that id is registered: nothing was touched.</summary>
    NotRegistered,
}

/// <summary>The broker holds a client of that name that is not a probe's: enrolment or revocation touched nothing.</summary>
public sealed class NotAProbeException(string message) : Exception(message);

/// <summary>
/// Enrols and revokes probes. A probe gets its own broker client (username = client id = probe id, a random 192-bit
/// password), bound to its client id (the plugin refuses the login with any other client id, so a probe can neither
/// take over another client's session nor be impersonated under its own), and its own role that may publish to
/// <c>hts/v1/probes/{id}/results</c>, <c>.../status</c> and <c>.../acks</c>, and read <c>.../config</c> and
/// <c>.../commands</c>, and nothing else. Names reserved by
/// <see cref="ReservedNames"/> and broker clients that are not a probe's (any role but the probe's own) are never
/// touched. Revocation deletes the client, which disconnects it at once, and disables it in the registry so
/// anything it queued is quarantined; its past results stay.
/// <para>
/// One change to a probe's broker rights at a time in this process (<see cref="_changes"/>): an enrolment deletes and
/// re-creates the probe's role, so another writer of the same role in between (the start-up's role upgrade, a second
/// enrolment of the same probe) would make one of them fail half-way on "ACL with this topic already exists" or
/// "Client already exists".
/// </para>
/// </summary>
internal sealed class ProbeEnrolment(
    DynamicSecurity broker, RegistryStore registry, ProbeDirectory directory, IOptions<ProvisioningOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _changes = new(1, 1);

    private const string ClientNotFound = "Client not found";

    /// <summary>The role of one probe.</summary>
    public static string ProbeRole(string probeId) => "hts-probe-" + probeId;

    /// <summary>
    /// Registers the probe and gives it fresh broker credentials (any earlier ones stop working). Throws
    /// <see cref="NotAProbeException"/>, having touched nothing, when the broker has a client of that name that is
    /// not this probe's. The caller has checked the name against <see cref="ReservedNames"/>.
    /// </summary>
    public Task<EnrolmentResult> EnrolAsync(ProbeRegistration probe, CancellationToken cancellationToken) =>
        OneAtATimeAsync(ct => EnrolNowAsync(probe, ct), cancellationToken);

    private async Task<EnrolmentResult> EnrolNowAsync(ProbeRegistration probe, CancellationToken cancellationToken)
    {
        await EnsureProbeOrAbsentAsync(probe.Id, cancellationToken);
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
            .. FleetAcls(probe.Id),
            DynamicSecurity.Command("createClient", ("username", probe.Id), ("password", password), ("clientid", probe.Id),
                ("roles", new JsonArray(new JsonObject { ["rolename"] = role, ["priority"] = 0 }))),
        ], [ClientNotFound, "Role not found"], cancellationToken);
        return new EnrolmentResult(probe.Id, probe.Id, password, Config(probe));
    }

    /// <summary>
    /// Deletes the probe's broker client (disconnecting it) and disables it in the registry. A probe that is not
    /// registered is <see cref="RevokeOutcome.NotRegistered"/> and nothing is touched; a broker client of that name
    /// that is not a probe's throws <see cref="NotAProbeException"/>, nothing touched either.
    /// </summary>
    public Task<RevokeOutcome> RevokeAsync(string probeId, CancellationToken cancellationToken) =>
        OneAtATimeAsync(ct => RevokeNowAsync(probeId, ct), cancellationToken);

    private async Task<RevokeOutcome> RevokeNowAsync(string probeId, CancellationToken cancellationToken)
    {
        if (await registry.FindAsync(probeId, cancellationToken) is null)
        {
            return RevokeOutcome.NotRegistered;
        }

        await EnsureProbeOrAbsentAsync(probeId, cancellationToken);
        await registry.SetEnabledAsync(probeId, false, cancellationToken);
        await directory.ReloadAsync(cancellationToken);
        await broker.ExecuteAsync(
            [DynamicSecurity.Command("deleteClient", ("username", probeId)), DynamicSecurity.Command("deleteRole", ("rolename", ProbeRole(probeId)))],
            [ClientNotFound, "Role not found"], cancellationToken);
        return RevokeOutcome.Revoked;
    }

    /// <summary>
    /// Issue 15: a probe may read exactly its own configuration and commands (literal topics, so no wildcard reaches
    /// another probe's) and publish its acknowledgements; everything else stays denied by the plugin's defaults.
    /// </summary>
    public static JsonObject[] FleetAcls(string probeId) =>
    [
        DynamicSecurity.Acl(ProbeRole(probeId), "publishClientSend", Topics.Acks(probeId), allow: true),
        DynamicSecurity.Acl(ProbeRole(probeId), "subscribeLiteral", Topics.Config(probeId), allow: true),
        DynamicSecurity.Acl(ProbeRole(probeId), "subscribeLiteral", Topics.Commands(probeId), allow: true),
        DynamicSecurity.Acl(ProbeRole(probeId), "publishClientReceive", Topics.Config(probeId), allow: true),
        DynamicSecurity.Acl(ProbeRole(probeId), "publishClientReceive", Topics.Commands(probeId), allow: true),
    ];

    /// <summary>
    /// Gives the roles of probes enrolled before issue 15 the rights of <see cref="FleetAcls"/> (existing entries and
    /// missing roles tolerated): one administrator connection for the pass, one message per probe (its ACLs are
    /// independent), each under the one-change-at-a-time lock (an enrolment of that probe runs before or after, never
    /// inside). A probe the broker refuses is logged and counted, and the pass goes on.
    /// </summary>
    public async Task<ProbeRoleUpgradeOutcome> UpgradeProbeRolesAsync(ILogger logger, CancellationToken cancellationToken)
    {
        var probes = (await registry.LoadLocationsAsync(cancellationToken)).Where(p => p.Enabled).Select(p => p.ProbeId).ToList();
        await using var session = await broker.OpenAsync(cancellationToken);
        var refused = 0;
        foreach (var probeId in probes)
        {
            try
            {
                await OneAtATimeAsync(ct => session.ExecuteTogetherAsync(FleetAcls(probeId), DynamicSecurity.Idempotent, ct), cancellationToken);
            }
            catch (DynamicSecurityException ex)
            {
                refused++;
                Fleet.FleetLog.ProbeRoleUpgradeFailed(logger, ex, probeId);
            }
        }

        return new ProbeRoleUpgradeOutcome(probes.Count, refused);
    }

    public void Dispose() => _changes.Dispose();

    private async Task<T> OneAtATimeAsync<T>(Func<CancellationToken, Task<T>> change, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            return await change(cancellationToken);
        }
        finally
        {
            _changes.Release();
        }
    }

    // Only a client this code made for this probe may be replaced or deleted: one whose roles are at most the
    // probe's own. Anything else (the server's, an administrator's, one made by hand) is someone else's login.
    private async Task EnsureProbeOrAbsentAsync(string probeId, CancellationToken cancellationToken)
    {
        var answer = (await broker.ExecuteAsync([DynamicSecurity.Command("getClient", ("username", probeId))], [ClientNotFound], cancellationToken))[0];
        if (answer?["error"] is not null)
        {
            return;
        }

        var client = answer?["data"]?["client"];
        var roles = (client?["roles"] as JsonArray ?? []).Select(r => r?["rolename"]?.GetValue<string>()).ToList();
        var groups = client?["groups"] as JsonArray ?? [];
        if (groups.Count > 0 || roles.Any(r => r != ProbeRole(probeId)))
        {
            throw new NotAProbeException(
                $"The broker has a client '{probeId}' that is not a probe's (roles: {string.Join(", ", roles)}); enrolment and revocation never touch it.");
        }
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
            ["queuePath"] = "/var/lib/hts-probe/queue.db",
            ["links"] = links,
        };
    }
}
