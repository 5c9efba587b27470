namespace HaTangSo.Telemetry.Testing;

/// <summary>A temporary directory, removed on dispose; readable by other users (PostgreSQL runs as postgres).</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates a directory under /tmp named after <paramref name="prefix"/>.</summary>
    public TempDirectory(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, (UnixFileMode)0b111_111_111 /* 0777: the postgres user writes here */);
        }
    }

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A service that is still shutting down may hold a file; /tmp is cleaned by the OS.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
