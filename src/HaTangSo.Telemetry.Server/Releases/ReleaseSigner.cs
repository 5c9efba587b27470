using System.Security.Cryptography;
using HaTangSo.Telemetry.Contracts.Releases;

namespace HaTangSo.Telemetry.Server.Releases;

/// <summary>Writes a signed release directory: the binary, its manifest and the manifest's detached signature.</summary>
internal sealed class ReleaseSigner(ECDsa key, TimeProvider time)
{
    /// <summary>
    /// Signs <paramref name="binaryPath"/> as <paramref name="version"/> for <paramref name="architecture"/> into
    /// <c>{releasesDirectory}/{architecture}/{version}/</c>. A published version is never overwritten (probes and
    /// caches hold it as immutable): the answer then says so. The release appears complete or not at all: it is
    /// assembled in a temporary directory and renamed into place.
    /// </summary>
    public async Task<string> SignAsync(
        string binaryPath, ProbeArchitecture architecture, ReleaseVersion version, string releasesDirectory, CancellationToken cancellationToken)
    {
        var parent = Path.Combine(releasesDirectory, architecture.Name());
        var target = Path.Combine(parent, version.Text);
        if (Directory.Exists(target))
        {
            return $"Refused: {target} exists; a published version is never replaced (sign a new version).";
        }

        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".staging-{version.Text}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var binary = Path.Combine(staging, ReleaseManifest.BinaryFileName);
            File.Copy(binaryPath, binary);
            string sha;
            long size;
            await using (var stream = File.OpenRead(binary))
            {
                size = stream.Length;
                sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
            }

            if (size is < 1 or > ReleaseManifest.MaxBinaryBytes)
            {
                return $"Refused: {binaryPath} has {size} bytes (1 to {ReleaseManifest.MaxBinaryBytes}).";
            }

            var manifest = new ReleaseManifest(version, architecture, sha, size, time.GetUtcNow()).ToJsonBytes();
            var signature = ReleaseSignature.Sign(key, manifest);
            await File.WriteAllBytesAsync(Path.Combine(staging, ReleaseManifest.FileName), manifest, cancellationToken);
            await File.WriteAllBytesAsync(Path.Combine(staging, ReleaseManifest.SignatureFileName), signature, cancellationToken);
            Directory.Move(staging, target);
            return $"Signed {architecture.Name()} {version.Text}: {size} bytes, SHA-256 {sha}, in {target}";
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Checks a release directory as a probe would; null when it is sound, else what is wrong.</summary>
    public static async Task<string?> VerifyDirectoryAsync(string directory, IReadOnlyList<ECDsa> keys, CancellationToken cancellationToken)
    {
        var manifest = await File.ReadAllBytesAsync(Path.Combine(directory, ReleaseManifest.FileName), cancellationToken);
        var signature = await File.ReadAllBytesAsync(Path.Combine(directory, ReleaseManifest.SignatureFileName), cancellationToken);
        if (!ReleaseSignature.Verify(manifest, signature, keys))
        {
            return "the signature does not verify with this public key";
        }

        var parsed = ReleaseManifestParser.Parse(manifest);
        if (parsed.Manifest is not { } m)
        {
            return "the manifest is refused: " + parsed.Detail;
        }

        await using var stream = File.OpenRead(Path.Combine(directory, ReleaseManifest.BinaryFileName));
        var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
        return stream.Length != m.Size || sha != m.Sha256 ? "the binary does not match the manifest's size and SHA-256" : null;
    }
}
