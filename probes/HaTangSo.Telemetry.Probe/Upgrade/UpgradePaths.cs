namespace HaTangSo.Telemetry.Probe.Upgrade;

/// <summary>
/// The files of an upgrade, all in the binary's own directory so every rename stays on one file system (rename(2)
/// replaces atomically only there): <c>hts-probe</c>, <c>hts-probe.previous</c>, and the side files
/// <c>.hts-probe.download</c> and <c>.hts-probe.previous.tmp</c>.
/// </summary>
/// <param name="Binary">The installed binary's full path.</param>
/// <param name="StateDirectory">Where the state file and the lock live.</param>
internal sealed record UpgradePaths(string Binary, string StateDirectory)
{
    private const UnixFileMode Executable =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>The binary's directory.</summary>
    public string BinaryDirectory => Path.GetDirectoryName(Binary)!;

    /// <summary>The binary that ran before the last upgrade (the trial script restores it).</summary>
    public string Previous => Binary + ".previous";

    private string Download => Path.Combine(BinaryDirectory, "." + Path.GetFileName(Binary) + ".download");

    /// <summary>A new, empty, executable side file for the download.</summary>
    public FileStream CreateDownload()
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = Executable;
        }

        return new FileStream(Download, options);
    }

    /// <summary>Copies the running binary to <see cref="Previous"/> durably (via a side file, so it is whole or absent).</summary>
    public void KeepPrevious()
    {
        var temporary = Previous + ".tmp";
        File.Copy(Binary, temporary, overwrite: true);
        using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, Previous, overwrite: true);
    }

    /// <summary>Renames the verified download over the binary (rename(2): the old or the new, never a mix).</summary>
    public void SwapInDownload()
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Download, Executable);
        }

        File.Move(Download, Binary, overwrite: true);
    }

    /// <summary>Removes a download left behind (a refusal, a failure, a crash of an earlier attempt).</summary>
    public void DeleteDownload()
    {
        try
        {
            File.Delete(Download);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next attempt, which overwrites it.
        }
    }
}
