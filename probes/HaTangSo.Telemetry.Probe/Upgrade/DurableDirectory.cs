using System.Runtime.InteropServices;

namespace HaTangSo.Telemetry.Probe.Upgrade;

/// <summary>
/// fsync(2) of a directory, so a rename in it survives a power cut (POSIX leaves the directory entry's durability to
/// an fsync of the directory; .NET has no API for it). glibc only, which is what the probe runs on.
/// </summary>
internal static partial class DurableDirectory
{
    private const int ReadOnly = 0;       // O_RDONLY
    private const int Directory = 0x10000; // O_DIRECTORY (Linux, x86-64 and arm64 alike)

    /// <summary>Flushes <paramref name="path"/>'s entries; returns why not when it could not (the caller logs and goes on).</summary>
    public static string? TrySync(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "not Linux";
        }

        try
        {
            var fd = Open(path, ReadOnly | Directory);
            if (fd < 0)
            {
                return $"open failed, errno {Marshal.GetLastPInvokeError()}";
            }

            try
            {
                return FSync(fd) == 0 ? null : $"fsync failed, errno {Marshal.GetLastPInvokeError()}";
            }
            finally
            {
                _ = Close(fd);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return ex.Message;
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc.so.6", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc.so.6", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
