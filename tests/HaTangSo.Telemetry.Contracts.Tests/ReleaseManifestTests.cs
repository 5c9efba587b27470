using System.Security.Cryptography;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using HaTangSo.Telemetry.Contracts.Releases;

namespace HaTangSo.Telemetry.Contracts.Tests;

public sealed class ReleaseManifestTests
{
    private static readonly ReleaseManifest s_valid = new(
        ReleaseVersion.Parse("0.2.0"), ProbeArchitecture.LinuxArm64, new string('a', 64), 20_000_000, new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Parse_WrittenManifest_RoundTrips()
    {
        var parsed = ReleaseManifestParser.Parse(s_valid.ToJsonBytes());

        Assert.True(parsed.IsValid, parsed.Detail);
        Assert.Equal(s_valid, parsed.Manifest);
    }

    [Theory]
    [InlineData("\"architecture\": \"linux-arm64\"", "\"architecture\": \"linux-ARM64\"", ManifestRefusal.Architecture)]
    [InlineData("\"architecture\": \"linux-arm64\"", "\"architecture\": \"../linux-arm64\"", ManifestRefusal.Architecture)]
    [InlineData("\"version\": \"0.2.0\"", "\"version\": \"0.2.0+build.5\"", ManifestRefusal.Version)]
    [InlineData("\"version\": \"0.2.0\"", "\"version\": \"v0.2.0\"", ManifestRefusal.Version)]
    [InlineData("\"version\": \"0.2.0\"", "\"version\": 2", ManifestRefusal.Shape)]
    [InlineData("\"size\": 20000000", "\"size\": 0", ManifestRefusal.BinarySize)]
    [InlineData("\"size\": 20000000", "\"size\": 1.5", ManifestRefusal.BinarySize)]
    [InlineData("\"size\": 20000000", "\"size\": 999999999999", ManifestRefusal.BinarySize)]
    [InlineData("\"schema\": \"hts.probe-release.v1\"", "\"schema\": \"hts.probe-release.v2\"", ManifestRefusal.Schema)]
    [InlineData("\"product\": \"hts-probe\"", "\"product\": \"hts-server\"", ManifestRefusal.Schema)]
    [InlineData("\"createdAt\": \"2026-11-30T09:00:00Z\"", "\"createdAt\": \"2026-11-30T09:00:00+07:00\"", ManifestRefusal.CreatedAt)]
    [InlineData("\"product\": \"hts-probe\"", "\"product\": \"hts-probe\", \"url\": \"http://evil/\"", ManifestRefusal.Shape)]
    [InlineData("\"version\": \"0.2.0\"", "\"version\": \"0.2.0\", \"version\": \"9.9.9\"", ManifestRefusal.NotJson)]
    public void Parse_OneFieldBroken_RefusedWithItsReason(string from, string to, ManifestRefusal reason)
    {
        var text = Encoding.UTF8.GetString(s_valid.ToJsonBytes());
        Assert.Contains(from, text, StringComparison.Ordinal);

        var parsed = ReleaseManifestParser.Parse(Encoding.UTF8.GetBytes(text.Replace(from, to, StringComparison.Ordinal)));

        Assert.False(parsed.IsValid);
        Assert.Equal(reason, parsed.Refusal);
    }

    [Fact]
    public void Parse_HashWithUpperCase_Refused()
    {
        var parsed = ReleaseManifestParser.Parse((s_valid with { Sha256 = new string('A', 64) }).ToJsonBytes());

        Assert.Equal(ManifestRefusal.Hash, parsed.Refusal);
    }

    [Fact]
    public void Parse_RandomBytes_NeverThrowAndAreRefusedWithAReason()
    {
        // Arbitrary bytes, and mutations of a valid manifest (a byte changed, cut short, repeated), which reach far
        // deeper into the parser than noise does.
        var valid = s_valid.ToJsonBytes();
        var noise = ArbMap.Default.GeneratorFor<byte[]>();
        var mutated = Gen.Choose(0, valid.Length - 1).SelectMany(i => Gen.Choose(0, 255).Select(b =>
        {
            var copy = (byte[])valid.Clone();
            copy[i] = (byte)b;
            return copy;
        }));
        var cut = Gen.Choose(0, valid.Length - 1).Select(n => valid[..n]);
        var doubled = Gen.Choose(1, 20).Select(n => Enumerable.Repeat(valid, n).SelectMany(b => b).ToArray());
        var bytes = Gen.OneOf(noise, mutated, cut, doubled);

        var property = Prop.ForAll(Arb.From(bytes), b =>
        {
            var parsed = ReleaseManifestParser.Parse(b);
            return parsed.IsValid
                ? parsed.Manifest is not null && parsed.Refusal is null
                : parsed.Manifest is null && parsed.Refusal is not null && parsed.Detail.Length > 0;
        });

        property.Check(Config.QuickThrowOnFailure.WithMaxTest(3000).WithQuietOnSuccess(true));
    }

    [Theory]
    [InlineData("1.0.0-alpha", "1.0.0-alpha.1")]
    [InlineData("1.0.0-alpha.1", "1.0.0-alpha.beta")]
    [InlineData("1.0.0-alpha.beta", "1.0.0-beta")]
    [InlineData("1.0.0-beta.2", "1.0.0-beta.11")]
    [InlineData("1.0.0-rc.1", "1.0.0")]
    [InlineData("1.0.0", "1.0.1")]
    [InlineData("1.9.0", "1.10.0")]
    [InlineData("0.9.9", "1.0.0")]
    public void CompareTo_SemVerPrecedence_OlderIsLower(string older, string newer)
    {
        // The examples of SemVer 2.0.0, section 11.
        Assert.True(ReleaseVersion.Parse(newer).IsNewerThan(ReleaseVersion.Parse(older)));
        Assert.False(ReleaseVersion.Parse(older).IsNewerThan(ReleaseVersion.Parse(newer)));
    }

    [Fact]
    public void TryParse_RunningVersionWithBuildMetadata_IgnoresIt()
    {
        Assert.True(ReleaseVersion.TryParse("0.2.0+abc123", allowBuildMetadata: true, out var running));

        Assert.Equal(ReleaseVersion.Parse("0.2.0"), running);
        Assert.False(ReleaseVersion.Parse("0.2.0").IsNewerThan(running!));
    }

    [Fact]
    public void Verify_SignedBytes_OnlyTheSigningKeyAndTheExactBytesPass()
    {
        var (privatePem, publicPem) = ReleaseSignature.CreateKeyPair();
        var (_, otherPublicPem) = ReleaseSignature.CreateKeyPair();
        using var key = ReleaseSignature.LoadPrivateKey(privatePem);
        var manifest = s_valid.ToJsonBytes();
        var signature = ReleaseSignature.Sign(key, manifest);
        var trusted = ReleaseSignature.LoadPublicKeys(publicPem);
        var other = ReleaseSignature.LoadPublicKeys(otherPublicPem);
        var both = ReleaseSignature.LoadPublicKeys(otherPublicPem + "\n" + publicPem);

        Assert.True(ReleaseSignature.Verify(manifest, signature, trusted));
        Assert.True(ReleaseSignature.Verify(manifest, signature, both));
        Assert.False(ReleaseSignature.Verify(manifest, signature, other));
        var changed = (byte[])manifest.Clone();
        changed[^2] ^= 1;
        Assert.False(ReleaseSignature.Verify(changed, signature, trusted));
        Assert.False(ReleaseSignature.Verify(manifest, RandomNumberGenerator.GetBytes(signature.Length), trusted));
        Assert.False(ReleaseSignature.Verify(manifest, [], trusted));
    }

    [Fact]
    public void LoadPrivateKey_PublicKeyGiven_Refused()
    {
        var (_, publicPem) = ReleaseSignature.CreateKeyPair();

        Assert.Throws<CryptographicException>(() => ReleaseSignature.LoadPrivateKey(publicPem));
    }

    [Fact]
    public void LoadPublicKeys_NotAKey_Refused()
    {
        Assert.Throws<CryptographicException>(() => ReleaseSignature.LoadPublicKeys("hello"));
        using var rsa = RSA.Create(2048);
        Assert.Throws<CryptographicException>(() => ReleaseSignature.LoadPublicKeys(rsa.ExportSubjectPublicKeyInfoPem()));
    }
}
