using HaTangSo.Telemetry.Contracts.Releases;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Releases;

/// <summary>The three files of a release, the only names the release endpoints serve.</summary>
internal enum ReleaseFile
{
    /// <summary><c>manifest.json</c>.</summary>
    Manifest,

    /// <summary><c>manifest.json.sig</c>.</summary>
    Signature,

    /// <summary><c>hts-probe</c>.</summary>
    Binary,
}

/// <summary>
/// Finds release files on disk. Every path is built from allow-listed parts (an architecture from
/// <see cref="ProbeArchitectures"/>, a version that parsed as SemVer, a <see cref="ReleaseFile"/>), never from the
/// request's text, so no request can name a file outside the releases directory.
/// </summary>
internal sealed class ReleaseStore(IOptions<ReleaseOptions> options)
{
    /// <summary>The file name of <paramref name="file"/>.</summary>
    public static string FileName(ReleaseFile file) => file switch
    {
        ReleaseFile.Manifest => ReleaseManifest.FileName,
        ReleaseFile.Signature => ReleaseManifest.SignatureFileName,
        ReleaseFile.Binary => ReleaseManifest.BinaryFileName,
        _ => throw new ArgumentOutOfRangeException(nameof(file)),
    };

    /// <summary>Parses a file name from the allow-list (ordinal).</summary>
    public static bool TryParseFile(string? name, out ReleaseFile file)
    {
        foreach (var candidate in Enum.GetValues<ReleaseFile>())
        {
            if (string.Equals(FileName(candidate), name, StringComparison.Ordinal))
            {
                file = candidate;
                return true;
            }
        }

        file = default;
        return false;
    }

    /// <summary>Whether releases are offered at all.</summary>
    public bool Enabled => options.Value.Directory is not null;

    /// <summary>The path of a release's file when the release is complete (all three files present), else null.</summary>
    public string? Find(ProbeArchitecture architecture, ReleaseVersion version, ReleaseFile file)
    {
        var directory = ReleaseDirectory(architecture, version);
        return directory is not null && IsComplete(directory) ? Path.Combine(directory, FileName(file)) : null;
    }

    /// <summary>The newest complete release for <paramref name="architecture"/>, or null.</summary>
    public ReleaseVersion? Latest(ProbeArchitecture architecture)
    {
        if (options.Value.Directory is not { } root)
        {
            return null;
        }

        var parent = Path.Combine(root, architecture.Name());
        if (!Directory.Exists(parent))
        {
            return null;
        }

        ReleaseVersion? latest = null;
        foreach (var entry in Directory.EnumerateDirectories(parent))
        {
            // A directory whose name is not a version (a half-copied "tmp", "0.2.0.old") is not a release.
            if (ReleaseVersion.TryParse(Path.GetFileName(entry), allowBuildMetadata: false, out var version)
                && version!.Text == Path.GetFileName(entry) && IsComplete(entry) && (latest is null || version > latest))
            {
                latest = version;
            }
        }

        return latest;
    }

    private string? ReleaseDirectory(ProbeArchitecture architecture, ReleaseVersion version) =>
        options.Value.Directory is { } root ? Path.Combine(root, architecture.Name(), version.Text) : null;

    private static bool IsComplete(string directory) =>
        Enum.GetValues<ReleaseFile>().All(f => File.Exists(Path.Combine(directory, FileName(f))));
}
