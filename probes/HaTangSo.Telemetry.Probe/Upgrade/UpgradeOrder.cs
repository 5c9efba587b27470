using HaTangSo.Telemetry.Contracts.Releases;

namespace HaTangSo.Telemetry.Probe.Upgrade;

/// <summary>
/// An order to upgrade: where the signed manifest is. The signature, not the URL, decides what is installed; the
/// binary is fetched from beside the manifest (after any redirect, so <c>latest</c> resolves once).
/// </summary>
/// <param name="ManifestUrl">An http(s) URL of a <c>manifest.json</c> (its <c>.sig</c> and <c>hts-probe</c> sit beside it).</param>
/// <param name="AllowDowngrade">Install even when the release is not newer than the running version (a deliberate rollback or reinstall).</param>
internal sealed record UpgradeOrder(Uri ManifestUrl, bool AllowDowngrade = false)
{
    /// <summary>
    /// The order for <paramref name="version"/> (null: the latest) of <paramref name="architecture"/> on the server whose
    /// releases live at <paramref name="releasesUrl"/> (<c>https://hts.example.vn/probe-releases/</c>).
    /// </summary>
    public static UpgradeOrder ForRelease(Uri releasesUrl, ProbeArchitecture architecture, ReleaseVersion? version, bool allowDowngrade = false)
    {
        var root = releasesUrl.AbsoluteUri.EndsWith('/') ? releasesUrl : new Uri(releasesUrl.AbsoluteUri + "/");
        return new UpgradeOrder(new Uri(root, $"{architecture.Name()}/{version?.Text ?? "latest"}/{ReleaseManifest.FileName}"), allowDowngrade);
    }
}
