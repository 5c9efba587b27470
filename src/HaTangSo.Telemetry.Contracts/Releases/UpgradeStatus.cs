using System.Text.Json.Serialization;

namespace HaTangSo.Telemetry.Contracts.Releases;

/// <summary>Where a probe's last signed upgrade stands (the probe's state file and its status message spell it the same).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<UpgradeStateKind>))]
public enum UpgradeStateKind
{
    /// <summary><c>trial</c>: swapped; the next start runs the trial (self-test and broker login) before the service.</summary>
    [JsonStringEnumMemberName("trial")]
    Trial,

    /// <summary><c>confirmed</c>: the trial passed: the new binary runs.</summary>
    [JsonStringEnumMemberName("confirmed")]
    Confirmed,

    /// <summary><c>rolled-back</c>: the trial failed: the previous binary was put back.</summary>
    [JsonStringEnumMemberName("rolled-back")]
    RolledBack,

    /// <summary><c>rollback-failed</c>: the trial failed and the previous binary could not be put back (someone must look).</summary>
    [JsonStringEnumMemberName("rollback-failed")]
    RollbackFailed,
}

/// <summary>
/// The last signed upgrade as a probe reports it in <see cref="StatusMessage.Upgrade"/> (issue 15.5): an upgrade command
/// is <c>done</c> once the release is installed; whether the new version then passed its trial is told here.
/// </summary>
public sealed record UpgradeStatus
{
    /// <summary>Where it stands.</summary>
    public required UpgradeStateKind State { get; init; }

    /// <summary>The version replaced.</summary>
    public required string From { get; init; }

    /// <summary>The version installed (and, once confirmed, running).</summary>
    public required string To { get; init; }

    /// <summary>When the state was last written (UTC).</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Why, in a short sentence (the trial's failure, for a rollback).</summary>
    public string? Detail { get; init; }
}

/// <summary>The spellings of <see cref="UpgradeStateKind"/> (the probe's state file, the status message, the registry's column).</summary>
public static class UpgradeStateKinds
{
    private static readonly (UpgradeStateKind Kind, string Name)[] s_names =
        [(UpgradeStateKind.Trial, "trial"), (UpgradeStateKind.Confirmed, "confirmed"), (UpgradeStateKind.RolledBack, "rolled-back"), (UpgradeStateKind.RollbackFailed, "rollback-failed")];

    /// <summary>The spelling of <paramref name="kind"/>.</summary>
    public static string Name(UpgradeStateKind kind) => s_names.First(n => n.Kind == kind).Name;

    /// <summary>Reads a spelling (ordinal); false for anything else.</summary>
    public static bool TryParse(string? name, out UpgradeStateKind kind)
    {
        foreach (var (candidate, spelling) in s_names)
        {
            if (spelling == name)
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
