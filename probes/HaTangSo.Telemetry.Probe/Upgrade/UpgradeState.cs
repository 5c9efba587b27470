using System.Globalization;
using System.Text;
using HaTangSo.Telemetry.Contracts.Releases;

namespace HaTangSo.Telemetry.Probe.Upgrade;

/// <summary>The last upgrade, as kept in <c>{stateDirectory}/state</c>.</summary>
/// <param name="State">Where it stands.</param>
/// <param name="From">The version replaced.</param>
/// <param name="To">The version installed.</param>
/// <param name="At">When the state was last written (UTC).</param>
/// <param name="Detail">Why (a short sentence).</param>
internal sealed record UpgradeState(UpgradeStateKind State, string From, string To, DateTimeOffset At, string Detail)
{
    /// <summary>The state as the status message reports it.</summary>
    public UpgradeStatus ToStatus() => new() { State = State, From = From, To = To, At = At, Detail = Detail.Length == 0 ? null : Detail };
}

/// <summary>
/// The state file: <c>key=value</c> lines (<c>state</c>, <c>from</c>, <c>to</c>, <c>at</c>, <c>detail</c>), so the trial
/// script (<c>deploy/probe/hts-probe-trial.sh</c>), which must not depend on the new binary, reads and writes it with
/// sed. Written to a temporary file, flushed and renamed, so a reader sees the old state or the new one.
/// </summary>
internal static class UpgradeStateFile
{
    /// <summary>The file's name in the state directory.</summary>
    public const string FileName = "state";

    /// <summary>The file's spelling of <paramref name="kind"/>.</summary>
    public static string Name(UpgradeStateKind kind) => UpgradeStateKinds.Name(kind);

    /// <summary>The last upgrade's state, or null when there is none or the file is unreadable or not one of ours.</summary>
    public static UpgradeState? Read(string directory)
    {
        string[] lines;
        try
        {
            var info = new FileInfo(Path.Combine(directory, FileName));
            if (!info.Exists || info.Length > 4096)
            {
                return null;
            }

            lines = File.ReadAllLines(info.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                values[line[..eq]] = line[(eq + 1)..];
            }
        }

        if (!UpgradeStateKinds.TryParse(values.GetValueOrDefault("state"), out var kind) || !DateTimeOffset.TryParse(values.GetValueOrDefault("at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return null;
        }

        return new UpgradeState(kind, values.GetValueOrDefault("from") ?? "", values.GetValueOrDefault("to") ?? "", at, values.GetValueOrDefault("detail") ?? "");
    }

    /// <summary>Writes <paramref name="state"/> atomically and durably.</summary>
    public static void Write(string directory, UpgradeState state)
    {
        Directory.CreateDirectory(directory);
        var text = new StringBuilder()
            .Append("state=").Append(Name(state.State)).Append('\n')
            .Append("from=").Append(Clean(state.From)).Append('\n')
            .Append("to=").Append(Clean(state.To)).Append('\n')
            .Append("at=").Append(state.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append('\n')
            .Append("detail=").Append(Clean(state.Detail)).Append('\n')
            .ToString();
        var path = Path.Combine(directory, FileName);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        _ = DurableDirectory.TrySync(directory);
    }

    // One line of printable ASCII: the file is line-based and read by a shell script.
    private static string Clean(string value) =>
        new(value.Select(c => c is >= ' ' and <= '~' ? c : '?').Take(300).ToArray());
}
