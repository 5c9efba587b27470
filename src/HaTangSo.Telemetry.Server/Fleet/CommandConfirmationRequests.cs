using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Server.Alerts.Confirmation;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Fleet;

/// <summary>
/// A confirmation round's measurements as measure-now commands (issue 15.2 and 15.3): one command per enabled probe link
/// of the area with the row's access (and operator, for an operator's row), naming the confirmation server, expiring at
/// <see cref="FleetOptions.CommandExpiry"/> or the round's deadline, whichever comes first. A probe whose configuration
/// does not name that server refuses it (the command's state says why); the round then counts what arrives.
/// </summary>
internal sealed class CommandConfirmationRequests(
    RegistryStore registry, CommandStore commands, ConfigPublisher publisher, IOptions<FleetOptions> options, TimeProvider time,
    ILogger<CommandConfirmationRequests> logger) : IConfirmationRequests
{
    /// <inheritdoc/>
    public async Task<int> RequestAsync(ConfirmationRequest request, CancellationToken cancellationToken)
    {
        var communes = request.CommuneTags.ToHashSet(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var expires = now + options.Value.CommandExpiry < request.ExpiresAt ? now + options.Value.CommandExpiry : request.ExpiresAt;
        var asked = 0;
        foreach (var probe in await registry.LoadLocationsAsync(cancellationToken))
        {
            if (!probe.Enabled || !communes.Contains(probe.CommuneCode))
            {
                continue;
            }

            foreach (var link in probe.Links.Where(l => l.Access == request.Access
                && (request.Operator == ComplianceWindow.AllOperators || l.Operator == request.Operator)))
            {
                var command = new CommandRecord(
                    Guid.CreateVersion7(now), probe.ProbeId, CommandKinds.Name(CommandKind.Measure), link.Name, CommandStates.Queued, null, [], 1,
                    now, expires, null, null, null, request.ServerId);
                await commands.AddAsync(command, cancellationToken);
                logger.CommandCreated(command.CommandId, command.Kind, probe.ProbeId, command.ExpiresAt);
                asked++;
            }
        }

        if (asked > 0)
        {
            publisher.Wake();
        }

        return asked;
    }
}
