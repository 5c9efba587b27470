using System.CommandLine;
using System.Security.Cryptography;
using HaTangSo.Telemetry.Contracts.Releases;

namespace HaTangSo.Telemetry.Server.Releases;

/// <summary>
/// <c>hts-server release keygen|sign|verify</c>: make the signing key pair and sign a probe binary into the releases
/// directory. Meant for the release machine, which need not be the server; the private key is read from a file and
/// never printed or logged.
/// </summary>
internal static class ReleaseCommand
{
    /// <summary>Runs <c>hts-server release ...</c> with <paramref name="args"/> (after the word <c>release</c>).</summary>
    public static Task<int> InvokeAsync(string[] args)
    {
        var root = new RootCommand("hts-server release: signing keys and signed probe releases") { Keygen(), Sign(), Verify() };
        return root.Parse(args).InvokeAsync();
    }

    private static Command Keygen()
    {
        var privateOut = new Option<FileInfo>("--private-key-out") { Description = "Where to write the private key (PEM, mode 0600; keep it off the server)", Required = true };
        var publicOut = new Option<FileInfo>("--public-key-out") { Description = "Where to write the public key (PEM) probes are enrolled with", Required = true };
        var command = new Command("keygen", "Create an ECDSA P-256 release signing key pair") { privateOut, publicOut };
        command.SetAction(parse =>
        {
            var (privateFile, publicFile) = (parse.GetValue(privateOut)!, parse.GetValue(publicOut)!);
            if (privateFile.Exists || publicFile.Exists)
            {
                Console.Error.WriteLine("Refusing to overwrite an existing key file: a lost signing key strands every probe enrolled with it.");
                return 1;
            }

            var (privatePem, publicPem) = ReleaseSignature.CreateKeyPair();
            // A final newline, so that `cat old.pem new.pem` makes a valid file of two keys for a rotation.
            WriteNew(privateFile.FullName, privatePem + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
            WriteNew(publicFile.FullName, publicPem + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            Console.WriteLine($"Wrote {privateFile.FullName} (private, 0600) and {publicFile.FullName} (public).");
            return 0;
        });
        return command;
    }

    private static Command Sign()
    {
        var keyFile = new Option<FileInfo>("--key-file") { Description = "The private key (PEM) from release keygen", Required = true };
        var binary = new Option<FileInfo>("--binary") { Description = "The published probe binary (dotnet publish ... -p:PublishAot=true)", Required = true };
        var architecture = new Option<string>("--architecture") { Description = "linux-x64 or linux-arm64", Required = true };
        var version = new Option<string>("--version") { Description = "The release's version (SemVer, e.g. 0.2.0); must be the binary's own", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "The releases directory (the server's Releases:Directory)", Required = true };
        var command = new Command("sign", "Sign a probe binary: writes {out}/{architecture}/{version}/ with the binary, manifest.json and manifest.json.sig")
        {
            keyFile, binary, architecture, version, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!ProbeArchitectures.TryParse(parse.GetValue(architecture), out var arch))
            {
                return Fail("--architecture must be one of " + string.Join(", ", ProbeArchitectures.All.Select(a => a.Name())));
            }

            if (!ReleaseVersion.TryParse(parse.GetValue(version), allowBuildMetadata: false, out var parsed))
            {
                return Fail("--version must be a Semantic Version without build metadata (0.2.0, 0.2.0-rc.1)");
            }

            var key = await ReadKeyAsync(parse.GetValue(keyFile)!, cancellationToken);
            if (key is null)
            {
                return 1;
            }

            using (key)
            {
                try
                {
                    var release = new ReleaseSigner(key, TimeProvider.System);
                    var outcome = await release.SignAsync(parse.GetValue(binary)!.FullName, arch, parsed!, parse.GetValue(output)!.FullName, cancellationToken);
                    Console.WriteLine(outcome);
                    return outcome.StartsWith("Signed", StringComparison.Ordinal) ? 0 : 1;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine(ex.Message);
                    return 1;
                }
            }
        });
        return command;
    }

    private static Command Verify()
    {
        var publicKey = new Option<FileInfo>("--public-key-file") { Description = "The public key (PEM) probes are enrolled with", Required = true };
        var directory = new Option<DirectoryInfo>("--release") { Description = "A release directory ({out}/{architecture}/{version})", Required = true };
        var command = new Command("verify", "Check a release the way a probe does: signature, manifest and binary") { publicKey, directory };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = parse.GetValue(directory)!.FullName;
            try
            {
                var keys = ReleaseSignature.LoadPublicKeys(await File.ReadAllTextAsync(parse.GetValue(publicKey)!.FullName, cancellationToken));
                var problem = await ReleaseSigner.VerifyDirectoryAsync(dir, keys, cancellationToken);
                Console.WriteLine(problem is null ? $"{dir}: signature, manifest and binary check out." : $"{dir}: {problem}");
                return problem is null ? 0 : 1;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                Console.Error.WriteLine(ex.Message);
                return 1;
            }
        });
        return command;
    }

    private static async Task<ECDsa?> ReadKeyAsync(FileInfo file, CancellationToken cancellationToken)
    {
        try
        {
            return ReleaseSignature.LoadPrivateKey(await File.ReadAllTextAsync(file.FullName, cancellationToken));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            // The message names the file and the kind of problem, never the key's content.
            Console.Error.WriteLine($"--key-file {file.FullName}: {ex.Message}");
            return null;
        }
    }

    private static void WriteNew(string path, string content, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
