using System.Security.Cryptography;

namespace HaTangSo.Telemetry.Contracts.Releases;

/// <summary>
/// Release signatures: ECDSA P-256 with SHA-256 over the manifest's exact bytes, the signature DER-encoded
/// (RFC 3279), the keys in PEM (PKCS#8 private, SubjectPublicKeyInfo public). These are OpenSSL's defaults, so
/// <c>openssl dgst -sha256 -verify key.pub -signature manifest.json.sig manifest.json</c> checks a release by hand.
/// Built into .NET (OpenSSL underneath, which the probe already loads for TLS), so the Native AOT probe needs no
/// extra native library.
/// </summary>
public static class ReleaseSignature
{
    /// <summary>The largest signature file read (a DER P-256 signature is at most 72 bytes).</summary>
    public const int MaxSignatureBytes = 512;

    /// <summary>The largest public key file read (a few keys during a rotation).</summary>
    public const int MaxPublicKeyFileBytes = 16 * 1024;

    /// <summary>Signs <paramref name="manifest"/>'s bytes.</summary>
    public static byte[] Sign(ECDsa privateKey, ReadOnlySpan<byte> manifest) =>
        privateKey.SignData(manifest, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    /// <summary>Whether <paramref name="signature"/> over <paramref name="manifest"/> was made by one of <paramref name="keys"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> manifest, ReadOnlySpan<byte> signature, IReadOnlyList<ECDsa> keys)
    {
        if (signature.Length is 0 or > MaxSignatureBytes)
        {
            return false;
        }

        foreach (var key in keys)
        {
            try
            {
                if (key.VerifyData(manifest, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
                {
                    return true;
                }
            }
            catch (CryptographicException)
            {
                // A malformed DER sequence is a bad signature, not an error.
            }
        }

        return false;
    }

    /// <summary>A new P-256 key pair as PEM: the private key (PKCS#8) and the public key (SubjectPublicKeyInfo).</summary>
    public static (string PrivateKeyPem, string PublicKeyPem) CreateKeyPair()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (key.ExportPkcs8PrivateKeyPem(), key.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>Loads a P-256 private key from PEM; throws <see cref="CryptographicException"/> naming no key material.</summary>
    public static ECDsa LoadPrivateKey(string pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            RequireP256(key);
            // ImportFromPem takes a public key too; signing would then fail deep in OpenSSL. Ask for the private part now.
            _ = key.ExportParameters(includePrivateParameters: true);
            return key;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new CryptographicException("not a PEM ECDSA P-256 private key (BEGIN PRIVATE KEY or BEGIN EC PRIVATE KEY)");
        }
    }

    /// <summary>
    /// Every P-256 public key (<c>BEGIN PUBLIC KEY</c>) in <paramref name="pem"/>: a probe trusts them all, so a new key
    /// can be enrolled beside the old one before releases are signed with it. Throws when there is none or one is bad.
    /// </summary>
    public static IReadOnlyList<ECDsa> LoadPublicKeys(string pem)
    {
        var keys = new List<ECDsa>();
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            if (label.SequenceEqual("PUBLIC KEY"))
            {
                var key = ECDsa.Create();
                try
                {
                    key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(rest[fields.Base64Data].ToString()), out _);
                    RequireP256(key);
                    keys.Add(key);
                }
                catch (Exception ex) when (ex is FormatException or CryptographicException)
                {
                    key.Dispose();
                    keys.ForEach(k => k.Dispose());
                    throw new CryptographicException($"public key {keys.Count + 1} is not an ECDSA P-256 key");
                }
            }

            rest = rest[fields.Location.End..];
        }

        return keys.Count > 0 ? keys : throw new CryptographicException("no PEM public key (BEGIN PUBLIC KEY) found");
    }

    private static void RequireP256(ECDsa key)
    {
        if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new CryptographicException("not a P-256 key");
        }
    }
}
