using System.Security.Cryptography;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Probe.Configuration;
using HaTangSo.Telemetry.Probe.Fleet;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Upgrade;

/// <summary>What an <c>upgrade</c> command came to: the acknowledgement to send, and whether the probe must now restart.</summary>
/// <param name="State">A <see cref="CommandStates"/> name: done (installed), refused (final) or failed (may pass later).</param>
/// <param name="Reason">Why, for the operator.</param>
/// <param name="RestartRequired">True when the release is in place: the process exits so systemd restarts it into the trial.</param>
internal sealed record CommandedUpgradeOutcome(string State, string Reason, bool RestartRequired);

/// <summary>
/// Carries out an <c>upgrade</c> command (issue 15.5) with the probe's enrolled upgrade settings: the release comes from
/// the probe's own <c>upgrade.releasesUrl</c> (a command names only a version, never a place to download from) and is
/// installed only if its manifest verifies with the enrolled key. The upgrader is made per command, so a key file
/// replaced on the box is read again.
/// </summary>
internal sealed class CommandedUpgrade(ProbeConfig config, ILogger logger, TimeProvider time)
{
    /// <summary>Runs <paramref name="command"/>; never throws but for cancellation.</summary>
    public async Task<CommandedUpgradeOutcome> RunAsync(AcceptedCommand command, CancellationToken cancellationToken)
    {
        if (config.Upgrade?.ReleasesUrl is not { } releases)
        {
            return new(CommandStates.Refused, "upgrades are off on this probe: its configuration has no upgrade.releasesUrl (and upgrade.publicKeyFile)", false);
        }

        if (ProbeArchitectures.Current() is not { } architecture)
        {
            return new(CommandStates.Refused, "this machine's architecture has no probe release (linux-x64 and linux-arm64 only)", false);
        }

        ProbeUpgrader? upgrader;
        string? whyNot;
        try
        {
            upgrader = ProbeUpgrader.FromConfig(config, logger, time, out whyNot);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            // The key file was readable at start-up (the configuration check) and is not now: someone is changing it.
            return new(CommandStates.Failed, "the enrolled release key could not be read: " + ex.Message, false);
        }

        if (upgrader is null)
        {
            return new(CommandStates.Refused, "upgrades are off on this probe: " + whyNot, false);
        }

        using (upgrader)
        {
            var order = UpgradeOrder.ForRelease(new Uri(releases), architecture, command.Version, command.AllowDowngrade);
            var outcome = await upgrader.UpgradeAsync(order, cancellationToken);
            var said = $"{outcome.Result}: {outcome.Detail}";
            return outcome.Result == UpgradeResult.Swapped
                ? new(CommandStates.Done, $"installed {outcome.To?.Text} over {outcome.From.Text}; restarting into its trial (the status reports the outcome)", true)
                : new(outcome.IsRetryable ? CommandStates.Failed : CommandStates.Refused, said, false);
        }
    }
}
