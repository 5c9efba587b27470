using HaTangSo.Telemetry.Contracts.Releases;

namespace HaTangSo.Telemetry.Probe.Upgrade;

/// <summary>What an upgrade order came to.</summary>
internal enum UpgradeResult
{
    /// <summary>The new binary is in place and marked for trial: exit so systemd restarts into it.</summary>
    Swapped,

    /// <summary>The release is not newer than the running version (and the order did not allow a downgrade).</summary>
    NotNewer,

    /// <summary>The manifest is for another architecture.</summary>
    WrongArchitecture,

    /// <summary>The manifest's signature does not verify with the enrolled key(s).</summary>
    BadSignature,

    /// <summary>The manifest is signed but malformed (see <see cref="UpgradeOutcome.ManifestRefusal"/>).</summary>
    BadManifest,

    /// <summary>The binary's size or SHA-256 differs from the manifest's: nothing was swapped.</summary>
    BinaryMismatch,

    /// <summary>A download failed or timed out (transient: try again later).</summary>
    DownloadFailed,

    /// <summary>Writing, copying or renaming a file failed, or the disk is too full; nothing was swapped.</summary>
    InstallFailed,

    /// <summary>Another upgrade is in progress, or a trial of the last one has not finished.</summary>
    Busy,

    /// <summary>The probe has no <c>upgrade</c> configuration, or runs on an architecture no release exists for, or the order is unusable.</summary>
    NotPossible,
}

/// <summary>The outcome of <see cref="ProbeUpgrader.UpgradeAsync"/>: typed, with a sentence for people.</summary>
/// <param name="Result">What happened.</param>
/// <param name="Detail">Why, in words (never key material).</param>
/// <param name="From">The running version.</param>
/// <param name="To">The release's version once the manifest was read and verified, else null.</param>
/// <param name="ManifestRefusal">The parser's reason when <see cref="Result"/> is <see cref="UpgradeResult.BadManifest"/>.</param>
internal sealed record UpgradeOutcome(UpgradeResult Result, string Detail, ReleaseVersion From, ReleaseVersion? To = null, ManifestRefusal? ManifestRefusal = null)
{
    /// <summary>True when the process must now exit so systemd restarts it into the new binary (and its trial).</summary>
    public bool RestartRequired => Result == UpgradeResult.Swapped;

    /// <summary>True when the same order may succeed later (a download or disk problem, a busy upgrader); refusals are final.</summary>
    public bool IsRetryable => Result is UpgradeResult.DownloadFailed or UpgradeResult.InstallFailed or UpgradeResult.Busy;
}
