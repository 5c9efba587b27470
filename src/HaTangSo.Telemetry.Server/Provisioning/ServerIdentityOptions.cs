using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>
/// With enrolment on, each server instance has its own broker identity, bound to its client id: the username is
/// <c>Mqtt:ClientId</c> (set <c>Mqtt:Username</c> to the same or leave it unset), it lies in the reserved
/// <c>hts-</c> namespace no probe can be enrolled under, and the broker accepts it only with that client id. So
/// instances sharing the subscription never share a login, and a probe cannot log in under a server's client id.
/// </summary>
internal sealed class ServerIdentityPostConfigure(IOptions<ProvisioningOptions> provisioning) : IPostConfigureOptions<MqttOptions>
{
    public void PostConfigure(string? name, MqttOptions options)
    {
        if (provisioning.Value.Enabled && string.IsNullOrEmpty(options.Username))
        {
            options.Username = options.ClientId;
        }
    }
}

/// <summary>Refuses, at start-up, a server identity the broker could not bind to this instance alone.</summary>
internal sealed class ServerIdentityValidator(IOptions<ProvisioningOptions> provisioning) : IValidateOptions<MqttOptions>
{
    public ValidateOptionsResult Validate(string? name, MqttOptions options)
    {
        if (!provisioning.Value.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (!options.ClientId.StartsWith(ReservedNames.SystemPrefix, StringComparison.Ordinal))
        {
            failures.Add($"Mqtt:ClientId must start with '{ReservedNames.SystemPrefix}' (for example hts-server-1) when Provisioning is on: it is also the server's broker login, in the namespace no probe can be enrolled under.");
        }

        if (!string.Equals(options.Username, options.ClientId, StringComparison.Ordinal))
        {
            failures.Add("Mqtt:Username must equal Mqtt:ClientId when Provisioning is on (one broker identity per server instance, bound to its client id); leave it unset to use the client id.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
