using System.Security.Cryptography;
using HaTangSo.Telemetry.Contracts.Releases;

namespace HaTangSo.Telemetry.Probe.Upgrade;

/// <summary>
/// Signed upgrades (<c>upgrade</c> in <c>probe.json</c>). Absent: the probe refuses every upgrade order. See
/// <c>probes/README.md</c>, "Signed upgrades".
/// </summary>
internal sealed class UpgradeConfig
{
    /// <summary>
    /// PEM file of the release signing public key(s) the probe was enrolled with (<c>/etc/hts-probe/upgrade-key.pem</c>).
    /// A release is installed only when its manifest's signature verifies with one of them.
    /// </summary>
    public string? PublicKeyFile { get; set; }

    /// <summary>
    /// Where the server offers releases (<c>https://hts.example.vn/probe-releases/</c>); lets an order name only a
    /// version (or none: the latest). Optional: an order may give the manifest's URL instead.
    /// </summary>
    public string? ReleasesUrl { get; set; }

    /// <summary>
    /// PEM file of the CA that signed the release server's HTTPS certificate (often the same file as <c>broker.caFile</c>);
    /// null trusts the system's CAs. Only the transport: what is installed is decided by the signature.
    /// </summary>
    public string? CaFile { get; set; }

    /// <summary>The installed binary that an upgrade replaces; default: the running binary (<c>/opt/hts-probe/hts-probe</c>).</summary>
    public string? BinaryPath { get; set; }

    /// <summary>Where the upgrade state (trial, confirmed, rolled back) is kept; the trial script reads it too.</summary>
    public string StateDirectory { get; set; } = "/var/lib/hts-probe/upgrade";
}

/// <summary>Checks <see cref="UpgradeConfig"/>; every error names its key under <c>upgrade.</c>.</summary>
internal static class UpgradeConfigRules
{
    /// <summary>Adds the problems of <paramref name="config"/> (null: upgrades off, nothing to check) to <paramref name="errors"/>.</summary>
    public static void Validate(UpgradeConfig? config, List<string> errors)
    {
        if (config is null)
        {
            return;
        }

        if (string.IsNullOrEmpty(config.PublicKeyFile))
        {
            errors.Add("upgrade.publicKeyFile: required (the release signing public key, PEM)");
        }
        else
        {
            try
            {
                var info = new FileInfo(config.PublicKeyFile);
                if (!info.Exists || info.Length > ReleaseSignature.MaxPublicKeyFileBytes)
                {
                    errors.Add($"upgrade.publicKeyFile: file {config.PublicKeyFile} not found or larger than {ReleaseSignature.MaxPublicKeyFileBytes} bytes");
                }
                else
                {
                    foreach (var key in ReleaseSignature.LoadPublicKeys(File.ReadAllText(config.PublicKeyFile)))
                    {
                        key.Dispose();
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                errors.Add($"upgrade.publicKeyFile: {config.PublicKeyFile}: {ex.Message}");
            }
        }

        if (config.ReleasesUrl is not null && !(Uri.TryCreate(config.ReleasesUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
        {
            errors.Add("upgrade.releasesUrl: must be an http(s) URL (https in production)");
        }

        if (config.CaFile is not null && !File.Exists(config.CaFile))
        {
            errors.Add($"upgrade.caFile: file {config.CaFile} not found");
        }

        if (config.BinaryPath is not null && !Path.IsPathFullyQualified(config.BinaryPath))
        {
            errors.Add("upgrade.binaryPath: must be an absolute path");
        }

        if (string.IsNullOrEmpty(config.StateDirectory) || !Path.IsPathFullyQualified(config.StateDirectory))
        {
            errors.Add("upgrade.stateDirectory: must be an absolute path");
        }
    }
}
