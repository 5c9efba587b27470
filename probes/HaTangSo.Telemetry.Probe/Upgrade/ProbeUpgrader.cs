using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HaTangSo.Telemetry.Contracts.Releases;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Upgrade;

/// <summary>
/// Installs a signed release: fetches the manifest and its detached signature, verifies the signature with the enrolled
/// key(s) before reading a field, refuses another architecture or a version not newer than the running one, downloads
/// the binary no further than the manifest's size, checks its SHA-256, keeps the running binary as
/// <c>{binary}.previous</c>, marks the trial and renames the new binary over the old (atomic on one file system). The
/// caller then exits; systemd restarts the service and <c>hts-probe-trial.sh</c> runs the trial first.
/// </summary>
internal sealed class ProbeUpgrader(
    HttpClient http, IReadOnlyList<ECDsa> trustedKeys, UpgradePaths paths, ReleaseVersion running, ProbeArchitecture? architecture,
    ILogger logger, TimeProvider time) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    /// <summary>The version this process runs (the assembly's informational version; 0.0.0 when it is not SemVer).</summary>
    public static ReleaseVersion RunningVersion { get; } =
        ReleaseVersion.TryParse(Measurement.ResultFactory.AgentVersion, allowBuildMetadata: true, out var v) ? v! : ReleaseVersion.Parse("0.0.0");

    /// <summary>The files this upgrader replaces.</summary>
    public UpgradePaths Paths => paths;

    /// <summary>
    /// The upgrader for a probe's configuration, owning its HTTP client and keys; null (with the reason) when the
    /// configuration has no <c>upgrade</c> section. The configuration has been validated (<c>ProbeConfigLoader</c>).
    /// </summary>
    public static ProbeUpgrader? FromConfig(Configuration.ProbeConfig config, ILogger logger, TimeProvider time, out string? whyNot)
    {
        if (config.Upgrade is not { PublicKeyFile: { } keyFile } upgrade)
        {
            whyNot = "the configuration has no upgrade.publicKeyFile: upgrades are off";
            return null;
        }

        var binary = upgrade.BinaryPath ?? Environment.ProcessPath;
        if (binary is null)
        {
            whyNot = "the running binary's path is unknown: set upgrade.binaryPath";
            return null;
        }

        var keys = ReleaseSignature.LoadPublicKeys(File.ReadAllText(keyFile));
        // Redirects are followed (latest -> a version) but never from https to http (HttpClient's rule).
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(30), MaxAutomaticRedirections = 3 };
        if (upgrade.CaFile is not null)
        {
            // The province's own CA, as for the broker: trusted for this client only, instead of the system's.
            // A provincial CA publishes no revocation list; the signature, not TLS, decides what is installed.
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificateFromFile(upgrade.CaFile));
            handler.SslOptions.CertificateChainPolicy = policy;
        }

        var client = new HttpClient(handler)
        {
            // A 20 MB binary over a weak 1 Mb/s mobile link takes under 3 minutes; the rest is margin.
            Timeout = TimeSpan.FromMinutes(15),
        };
        whyNot = null;
        var upgrader = new ProbeUpgrader(client, keys, new UpgradePaths(binary, upgrade.StateDirectory), RunningVersion,
            ProbeArchitectures.Current(), logger, time);
        upgrader._owned.Add(client);
        upgrader._owned.AddRange(keys);
        return upgrader;
    }

    /// <inheritdoc />
    public void Dispose() => _owned.ForEach(o => o.Dispose());

    /// <summary>Free space wanted beyond the new binary and the copy of the old one.</summary>
    private const long SpareBytes = 16L << 20;

    /// <summary>Carries out <paramref name="order"/>; never throws for a refusal or a failure, only for cancellation.</summary>
    public async Task<UpgradeOutcome> UpgradeAsync(UpgradeOrder order, CancellationToken cancellationToken)
    {
        logger.UpgradeStarted(running.Text, order.ManifestUrl);
        UpgradeOutcome Refuse(UpgradeResult result, string detail, ReleaseVersion? to = null, ManifestRefusal? refusal = null)
        {
            logger.UpgradeRefused(result, detail);
            return new UpgradeOutcome(result, detail, running, to, refusal);
        }

        if (order.ManifestUrl is not { IsAbsoluteUri: true, Scheme: "http" or "https" })
        {
            return Refuse(UpgradeResult.NotPossible, "the manifest URL must be an absolute http(s) URL");
        }

        if (architecture is not { } arch)
        {
            return Refuse(UpgradeResult.NotPossible, "this machine's architecture has no probe release (linux-x64 and linux-arm64 only)");
        }

        Directory.CreateDirectory(paths.StateDirectory);
        FileStream lockFile;
        try
        {
            // One upgrade at a time (the command channel and a person at the console); the OS drops the lock if we die.
            lockFile = new FileStream(Path.Combine(paths.StateDirectory, "upgrade.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return Refuse(UpgradeResult.Busy, "another upgrade is in progress");
        }

        await using (lockFile)
        {
            if (UpgradeStateFile.Read(paths.StateDirectory) is { State: UpgradeStateKind.Trial } pending)
            {
                return Refuse(UpgradeResult.Busy, $"the trial of {pending.To} has not run yet (restart the service first)");
            }

            try
            {
                return await InstallAsync(order, arch, Refuse, cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
            {
                var result = ex is HttpRequestException or TaskCanceledException ? UpgradeResult.DownloadFailed : UpgradeResult.InstallFailed;
                // "The SSL connection could not be established" says little; the inner exception says why.
                var detail = ex.InnerException is { } inner ? $"{ex.Message}: {inner.Message}" : ex.Message;
                logger.UpgradeFailed(ex, result, detail);
                return new UpgradeOutcome(result, detail, running);
            }
            catch (UnauthorizedAccessException ex)
            {
                logger.UpgradeFailed(ex, UpgradeResult.InstallFailed, ex.Message);
                return new UpgradeOutcome(UpgradeResult.InstallFailed, $"{ex.Message} (the binary's directory must be writable by the service user)", running);
            }
            finally
            {
                paths.DeleteDownload();
            }
        }
    }

    private async Task<UpgradeOutcome> InstallAsync(
        UpgradeOrder order, ProbeArchitecture arch, Func<UpgradeResult, string, ReleaseVersion?, ManifestRefusal?, UpgradeOutcome> refuse,
        CancellationToken cancellationToken)
    {
        var (manifestBytes, manifestUrl) = await GetSmallAsync(order.ManifestUrl, ReleaseManifest.MaxManifestBytes, cancellationToken);
        if (manifestBytes is null)
        {
            return refuse(UpgradeResult.BadManifest, $"the manifest is larger than {ReleaseManifest.MaxManifestBytes} bytes", null, ManifestRefusal.Size);
        }

        var (signature, _) = await GetSmallAsync(new Uri(manifestUrl, ReleaseManifest.SignatureFileName), ReleaseSignature.MaxSignatureBytes, cancellationToken);
        // Nothing in the manifest is believed, or even parsed, before its signature checks out.
        if (signature is null || !ReleaseSignature.Verify(manifestBytes, signature, trustedKeys))
        {
            return refuse(UpgradeResult.BadSignature, "the manifest's signature does not verify with the enrolled release key(s)", null, null);
        }

        var parsed = ReleaseManifestParser.Parse(manifestBytes);
        if (parsed.Manifest is not { } manifest)
        {
            return refuse(UpgradeResult.BadManifest, "signed but malformed manifest: " + parsed.Detail, null, parsed.Refusal);
        }

        if (manifest.Architecture != arch)
        {
            return refuse(UpgradeResult.WrongArchitecture, $"the release is for {manifest.Architecture.Name()}, this probe is {arch.Name()}", manifest.Version, null);
        }

        if (!manifest.Version.IsNewerThan(running) && !order.AllowDowngrade)
        {
            return refuse(UpgradeResult.NotNewer, $"the release {manifest.Version} is not newer than the running {running} (a downgrade must be ordered as one)", manifest.Version, null);
        }

        var free = new DriveInfo(paths.BinaryDirectory).AvailableFreeSpace;
        if (free < (2 * manifest.Size) + SpareBytes)
        {
            return refuse(UpgradeResult.InstallFailed, $"{free} bytes free beside the binary; {(2 * manifest.Size) + SpareBytes} needed", manifest.Version, null);
        }

        var mismatch = await DownloadAsync(new Uri(manifestUrl, ReleaseManifest.BinaryFileName), manifest, cancellationToken);
        if (mismatch is not null)
        {
            return refuse(UpgradeResult.BinaryMismatch, mismatch + "; nothing was swapped", manifest.Version, null);
        }

        paths.KeepPrevious();
        UpgradeStateFile.Write(paths.StateDirectory, new UpgradeState(UpgradeStateKind.Trial, running.Text, manifest.Version.Text, time.GetUtcNow(),
            $"installed {manifest.Architecture.Name()} {manifest.Size} bytes sha256 {manifest.Sha256}"));
        try
        {
            paths.SwapInDownload();
        }
        catch
        {
            // The trial mark without the swap would make the trial test the old binary and call it the new one.
            File.Delete(Path.Combine(paths.StateDirectory, UpgradeStateFile.FileName));
            throw;
        }

        if (DurableDirectory.TrySync(paths.BinaryDirectory) is { } reason)
        {
            logger.DirectoryNotSynced(paths.BinaryDirectory, reason);
        }

        logger.UpgradeSwapped(running.Text, manifest.Version.Text, arch.Name(), manifest.Size, paths.Binary, paths.Previous);
        return new UpgradeOutcome(UpgradeResult.Swapped, $"{running} -> {manifest.Version}: restart to run the trial", running, manifest.Version);
    }

    /// <summary>The body (at most <paramref name="limit"/> bytes, else null) and the URL it came from after redirects.</summary>
    private async Task<(byte[]? Body, Uri Url)> GetSmallAsync(Uri url, int limit, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Ensure(response);
        var finalUrl = response.RequestMessage?.RequestUri ?? url;
        if (response.Content.Headers.ContentLength > limit)
        {
            return (null, finalUrl);
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[limit + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }

        return (read > limit ? null : buffer[..read], finalUrl);
    }

    /// <summary>Downloads the binary to the side file; null when its size and SHA-256 match the manifest, else why not.</summary>
    private async Task<string?> DownloadAsync(Uri url, ReleaseManifest manifest, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Ensure(response);
        if (response.Content.Headers.ContentLength is { } announced && announced != manifest.Size)
        {
            return $"the server announces {announced} bytes, the manifest says {manifest.Size}";
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        await using (var target = paths.CreateDownload())
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[81920];
            int n;
            while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += n;
                if (total > manifest.Size)
                {
                    // Stop at the cap: a hostile or broken server cannot fill the disk.
                    return $"the binary is longer than the manifest's {manifest.Size} bytes";
                }

                hash.AppendData(buffer, 0, n);
                await target.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            }

            target.Flush(flushToDisk: true);
        }

        if (total != manifest.Size)
        {
            return $"the binary has {total} bytes, the manifest says {manifest.Size}";
        }

        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        return sha == manifest.Sha256 ? null : $"the binary's SHA-256 is {sha}, the manifest says {manifest.Sha256}";
    }

    private static void Ensure(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }
    }
}
