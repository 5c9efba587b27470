using System.Globalization;
using System.Text.RegularExpressions;

namespace HaTangSo.Telemetry.Contracts.Releases;

/// <summary>
/// A probe release's version, Semantic Versioning 2.0.0 (<c>1.4.0</c>, <c>1.4.0-rc.1</c>) ordered by SemVer precedence
/// (section 11): a pre-release is older than its release; build metadata (<c>+abc</c>) is refused in a manifest because
/// precedence ignores it, so two different binaries could not be told apart by version.
/// </summary>
public sealed partial record ReleaseVersion : IComparable<ReleaseVersion>
{
    private ReleaseVersion(long major, long minor, long patch, string[] preRelease, string text)
    {
        Major = major;
        Minor = minor;
        Patch = patch;
        PreRelease = preRelease;
        Text = text;
    }

    /// <summary>Major version.</summary>
    public long Major { get; }

    /// <summary>Minor version.</summary>
    public long Minor { get; }

    /// <summary>Patch version.</summary>
    public long Patch { get; }

    /// <summary>Pre-release identifiers (empty for a release).</summary>
    public IReadOnlyList<string> PreRelease { get; }

    /// <summary>The version as written.</summary>
    public string Text { get; }

    /// <summary>
    /// Parses <paramref name="text"/>; with <paramref name="allowBuildMetadata"/> a <c>+...</c> suffix is dropped (the
    /// running probe's informational version), otherwise it is refused (a manifest).
    /// </summary>
    public static bool TryParse(string? text, bool allowBuildMetadata, out ReleaseVersion? version)
    {
        version = null;
        if (text is null || text.Length > 64)
        {
            return false;
        }

        var match = SemVer().Match(text);
        if (!match.Success || (match.Groups["build"].Success && !allowBuildMetadata))
        {
            return false;
        }

        if (!long.TryParse(match.Groups["major"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !long.TryParse(match.Groups["minor"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            || !long.TryParse(match.Groups["patch"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var patch))
        {
            return false;
        }

        var pre = match.Groups["pre"].Success ? match.Groups["pre"].Value.Split('.') : [];
        var core = match.Groups["build"].Success ? text[..text.IndexOf('+', StringComparison.Ordinal)] : text;
        version = new ReleaseVersion(major, minor, patch, pre, core);
        return true;
    }

    /// <summary>Parses a version known to be valid (a constant, a test); throws <see cref="FormatException"/> otherwise.</summary>
    public static ReleaseVersion Parse(string text) =>
        TryParse(text, allowBuildMetadata: false, out var version) ? version! : throw new FormatException($"'{text}' is not a Semantic Version");

    /// <inheritdoc />
    public int CompareTo(ReleaseVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        var c = Major.CompareTo(other.Major);
        c = c != 0 ? c : Minor.CompareTo(other.Minor);
        c = c != 0 ? c : Patch.CompareTo(other.Patch);
        if (c != 0)
        {
            return c;
        }

        // SemVer 11.3: a version without pre-release identifiers ranks above one with them.
        if (PreRelease.Count == 0 || other.PreRelease.Count == 0)
        {
            return other.PreRelease.Count.CompareTo(PreRelease.Count);
        }

        for (var i = 0; i < Math.Min(PreRelease.Count, other.PreRelease.Count); i++)
        {
            c = ComparePreRelease(PreRelease[i], other.PreRelease[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return PreRelease.Count.CompareTo(other.PreRelease.Count);
    }

    /// <summary>Equality by precedence, so <c>1.0.0</c> equals <c>1.0.0</c> whatever the build metadata was.</summary>
    public bool Equals(ReleaseVersion? other) => other is not null && CompareTo(other) == 0;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Major, Minor, Patch, string.Join('.', PreRelease));

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>Precedence order.</summary>
    public static bool operator <(ReleaseVersion? left, ReleaseVersion? right) => left is null ? right is not null : left.CompareTo(right) < 0;

    /// <summary>Precedence order.</summary>
    public static bool operator <=(ReleaseVersion? left, ReleaseVersion? right) => left is null || left.CompareTo(right) <= 0;

    /// <summary>Precedence order.</summary>
    public static bool operator >(ReleaseVersion? left, ReleaseVersion? right) => left is not null && left.CompareTo(right) > 0;

    /// <summary>Precedence order.</summary>
    public static bool operator >=(ReleaseVersion? left, ReleaseVersion? right) => left is null ? right is null : left.CompareTo(right) >= 0;

    /// <summary>Whether this version is newer than <paramref name="other"/>.</summary>
    public bool IsNewerThan(ReleaseVersion other) => CompareTo(other) > 0;

    // SemVer 11.4: numeric identifiers compare numerically and rank below alphanumeric ones.
    private static int ComparePreRelease(string a, string b)
    {
        var aNumeric = a.All(char.IsAsciiDigit);
        var bNumeric = b.All(char.IsAsciiDigit);
        return (aNumeric, bNumeric) switch
        {
            (true, true) => a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b),
            (true, false) => -1,
            (false, true) => 1,
            _ => string.CompareOrdinal(a, b),
        };
    }

    // The official SemVer 2.0.0 grammar (semver.org, "Is there a suggested regular expression"), digits capped at 9.
    [GeneratedRegex(@"^(?<major>0|[1-9][0-9]{0,8})\.(?<minor>0|[1-9][0-9]{0,8})\.(?<patch>0|[1-9][0-9]{0,8})(?:-(?<pre>(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+(?<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SemVer();
}
