using System.CommandLine;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Probe.Configuration;
using HaTangSo.Telemetry.Probe.Diagnostics;
using HaTangSo.Telemetry.Probe.Upgrade;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Cli;

/// <summary>
/// <c>upgrade</c>: install a signed release now, without the command channel (run it as the service user, then restart
/// the service); <c>upgrade status</c>: the last upgrade's state.
/// </summary>
internal static class UpgradeCommand
{
    /// <summary>Exit code of a refusal that will not change by trying again (bad signature, older version, ...).</summary>
    public const int Refused = 3;

    /// <summary>Exit code of a failure that may pass later (EX_TEMPFAIL: download, disk, another upgrade running).</summary>
    public const int TryAgain = 75;

    public static Command Create()
    {
        var config = RunCommand.ConfigOption();
        // A string, parsed here: System.CommandLine's Uri conversion is not available in the Native AOT binary.
        var manifestUrl = new Option<string>("--manifest-url") { Description = "URL of the release's manifest.json (its .sig and hts-probe sit beside it)" };
        var version = new Option<string>("--release-version") { Description = "Version to install from upgrade.releasesUrl (default: the latest)" };
        var allowDowngrade = new Option<bool>("--allow-downgrade") { Description = "Install even if the release is not newer than the running version" };
        var command = new Command("upgrade", "Install a signed probe release: verify, swap, then restart the service to run the trial")
        {
            config, manifestUrl, version, allowDowngrade, Status(),
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = ProbeConfigLoader.Load(parse.GetValue(config)!);
            using var loggers = Logging.CreateFactory();
            using var upgrader = ProbeUpgrader.FromConfig(settings, loggers.CreateLogger("HaTangSo.Telemetry.Probe.Upgrade"), TimeProvider.System, out var whyNot);
            if (upgrader is null)
            {
                Console.Error.WriteLine("Cannot upgrade: " + whyNot);
                return Refused;
            }

            UpgradeOrder order;
            if (parse.GetValue(manifestUrl) is { } text)
            {
                if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                {
                    Console.Error.WriteLine("--manifest-url must be an absolute http(s) URL");
                    return 2;
                }

                order = new UpgradeOrder(url, parse.GetValue(allowDowngrade));
            }
            else if (settings.Upgrade!.ReleasesUrl is { } releases && ProbeArchitectures.Current() is { } arch)
            {
                ReleaseVersion? wanted = null;
                if (parse.GetValue(version) is { } versionText && !ReleaseVersion.TryParse(versionText, allowBuildMetadata: false, out wanted))
                {
                    Console.Error.WriteLine("--release-version must be a Semantic Version (0.2.0)");
                    return 2;
                }

                order = UpgradeOrder.ForRelease(new Uri(releases), arch, wanted, parse.GetValue(allowDowngrade));
            }
            else
            {
                Console.Error.WriteLine("Give --manifest-url, or set upgrade.releasesUrl in the configuration.");
                return 2;
            }

            var outcome = await upgrader.UpgradeAsync(order, cancellationToken);
            Console.WriteLine($"{outcome.Result}: {outcome.Detail}");
            if (outcome.RestartRequired)
            {
                Console.WriteLine("Restart the service to run the new version's trial: systemctl restart hts-probe");
                return 0;
            }

            return outcome.IsRetryable ? TryAgain : Refused;
        });
        return command;
    }

    private static Command Status()
    {
        var config = RunCommand.ConfigOption();
        var command = new Command("status", "Show the running version and the last upgrade (trial, confirmed, rolled back)") { config };
        command.SetAction(parse =>
        {
            var settings = ProbeConfigLoader.Load(parse.GetValue(config)!);
            Console.WriteLine($"running {ProbeUpgrader.RunningVersion} on {ProbeArchitectures.Current()?.Name() ?? "an unsupported architecture"}");
            var state = UpgradeStateFile.Read(settings.Upgrade?.StateDirectory ?? new UpgradeConfig().StateDirectory);
            Console.WriteLine(state is null
                ? "no upgrade recorded"
                : $"last upgrade: {UpgradeStateFile.Name(state.State)} {state.From} -> {state.To} at {state.At:yyyy-MM-dd HH:mm:ss}Z: {state.Detail}");
            return 0;
        });
        return command;
    }
}
