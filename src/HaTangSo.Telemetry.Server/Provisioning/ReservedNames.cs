using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>
/// The names enrolment and revocation may never touch in the broker. Everything that starts with
/// <see cref="SystemPrefix"/> belongs to the system itself (the plugin's administrator <c>hts-admin</c>, each server
/// instance's <c>hts-server-N</c>, the short-lived <c>hts-provisioning-…</c> sessions), and so do the names this
/// instance is configured with; a name that is not a probe id at all is refused too. This is an allow-list: a probe
/// id is the contract's pattern outside the system's namespace, nothing else.
/// </summary>
internal sealed class ReservedNames(IOptions<ProvisioningOptions> provisioning, IOptions<MqttOptions> mqtt)
{
    /// <summary>The system's own namespace of broker usernames and client ids.</summary>
    public const string SystemPrefix = "hts-";

    /// <summary>Null when <paramref name="id"/> may be a probe's broker identity; otherwise why not.</summary>
    public string? Refusal(string id)
    {
        if (!Topics.IsValidProbeId(id))
        {
            return "A probe id matches ^[a-z0-9][a-z0-9-]{2,63}$.";
        }

        if (id.StartsWith(SystemPrefix, StringComparison.Ordinal))
        {
            return $"Names starting with '{SystemPrefix}' are reserved for the system's own broker identities (hts-admin, hts-server-N).";
        }

        var settings = mqtt.Value;
        return id == provisioning.Value.AdminUsername || id == settings.Username || id == settings.ClientId
            ? "This name is the broker identity of the server or of the broker's administrator."
            : null;
    }
}
