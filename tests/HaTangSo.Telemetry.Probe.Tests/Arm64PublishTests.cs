using System.Diagnostics;

namespace HaTangSo.Telemetry.Probe.Tests;

/// <summary>Runs alone: a Native AOT compile takes both cores for minutes and must not starve the timing tests beside it.</summary>
[CollectionDefinition(nameof(Arm64PublishCollection), DisableParallelization = true)]
public sealed class Arm64PublishCollection;

/// <summary>
/// The probe cross-compiled for linux-arm64 as Native AOT (<c>deploy/probe/publish-arm64.sh</c>): no warning, an
/// aarch64 ELF binary and SQLite library; when <c>qemu-aarch64-static</c> is installed, the binary also runs.
/// Skipped, saying what is missing, on a machine without the cross toolchain (it is not part of install-deps: ~150 MB).
/// </summary>
[Collection(nameof(Arm64PublishCollection))]
public sealed class Arm64PublishTests
{
    private const ushort ElfMachineAarch64 = 183; // EM_AARCH64, ELF e_machine at offset 18

    [Fact]
    public async Task Publish_LinuxArm64NativeAot_Aarch64BinaryWithoutWarnings()
    {
        var missing = new[]
        {
            ("clang", OnPath("clang")), ("binutils-aarch64-linux-gnu", OnPath("aarch64-linux-gnu-objcopy")),
            ("libc6-dev:arm64", File.Exists("/usr/lib/aarch64-linux-gnu/crt1.o")), ("zlib1g-dev:arm64", File.Exists("/usr/lib/aarch64-linux-gnu/libz.so")),
        }.Where(t => !t.Item2).Select(t => t.Item1).ToList();
        Assert.SkipWhen(missing.Count > 0, $"no arm64 cross toolchain here ({string.Join(", ", missing)} missing): run deploy/probe/publish-arm64.sh --install-toolchain as root");

        var root = ProbeConfigLoaderTests.RepositoryRoot();
        var output = Directory.CreateTempSubdirectory("hts-probe-arm64-");
        try
        {
            // The solution is built already: Contracts is up to date (not rewritten), the probe is compiled for linux-arm64
            // into its own obj/bin folders beside the ones the tests use.
            var (exitCode, text) = await RunAsync(Path.Combine(root, "deploy", "probe", "publish-arm64.sh"), root, output.FullName);

            Assert.True(exitCode == 0, text);
            Assert.DoesNotMatch(@"warning (IL|CS|NU)\d+", text);
            var binary = Path.Combine(output.FullName, "hts-probe");
            Assert.Equal(ElfMachineAarch64, ElfMachine(binary));
            Assert.Equal(ElfMachineAarch64, ElfMachine(Path.Combine(output.FullName, "libe_sqlite3.so")));
            if (OnPath("qemu-aarch64-static"))
            {
                var (helpExit, help) = await RunAsync("qemu-aarch64-static", root, binary, "--help");
                Assert.True(helpExit == 0, help);
                Assert.Contains("measure", help, StringComparison.Ordinal);
            }
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static ushort ElfMachine(string path)
    {
        var header = new byte[20];
        using var file = File.OpenRead(path);
        file.ReadExactly(header);
        Assert.Equal([0x7F, (byte)'E', (byte)'L', (byte)'F'], header[..4]);
        return BitConverter.ToUInt16(header, 18);
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, program)));

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        // Generous: a cross compile on a busy 2-core machine took 7 minutes here.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(30));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
