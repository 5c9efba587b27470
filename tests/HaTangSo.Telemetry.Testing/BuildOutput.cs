namespace HaTangSo.Telemetry.Testing;

/// <summary>
/// Files the solution built, in the same configuration and framework as the running test assembly (the
/// projects are referenced with ReferenceOutputAssembly=false, so the build orders them first).
/// </summary>
public static class BuildOutput
{
    /// <summary>The repository's root (where HaTangSo.Telemetry.sln is).</summary>
    public static string RepositoryRoot
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !System.IO.File.Exists(Path.Combine(root.FullName, "HaTangSo.Telemetry.sln")))
            {
                root = root.Parent;
            }

            return root?.FullName ?? throw new InvalidOperationException("HaTangSo.Telemetry.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The path of <paramref name="fileName"/> in <paramref name="projectDirectory"/>'s bin folder.</summary>
    public static string File(string projectDirectory, string fileName)
    {
        var testDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var framework = testDirectory.Name;
        var configuration = testDirectory.Parent!.Name;
        var path = Path.Combine(RepositoryRoot, projectDirectory, "bin", configuration, framework, fileName);
        return System.IO.File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{fileName} not built at {path}: run tests/run.sh (it builds the solution first).");
    }
}
