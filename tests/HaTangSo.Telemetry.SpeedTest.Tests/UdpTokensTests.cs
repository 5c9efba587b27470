using System.Net;
using HaTangSo.Telemetry.SpeedTest.UdpEcho;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.SpeedTest.Tests;

public sealed class UdpTokensTests
{
    private static readonly IPAddress s_client = IPAddress.Parse("203.0.113.7");

    private static UdpTokens Tokens(FakeTimeProvider time, string? key = null) =>
        new(Options.Create(new SpeedTestOptions { UdpTokenLifetime = TimeSpan.FromMinutes(5), UdpTokenKey = key }), time);

    [Fact]
    public void IsValid_IssuedToThisAddress_TrueUntilItExpires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var tokens = Tokens(time);
        var (token, expiresAt) = tokens.Issue(s_client);

        Assert.Equal(UdpTokens.Length, token.Length);
        Assert.Equal(time.GetUtcNow().AddMinutes(5), expiresAt);
        Assert.True(tokens.IsValid(token, s_client));
        Assert.True(tokens.IsValid(token, s_client.MapToIPv6()), "an IPv4 client seen through a dual-mode socket is the same client");
        time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(2));
        Assert.False(tokens.IsValid(token, s_client));
    }

    [Fact]
    public void IsValid_OtherAddressForgedExpiryOrOtherKey_False()
    {
        var time = new FakeTimeProvider();
        var tokens = Tokens(time);
        var (token, _) = tokens.Issue(s_client);

        Assert.False(tokens.IsValid(token, IPAddress.Parse("203.0.113.8")), "a token opens the echo for the address it was issued to only");
        var extended = (byte[])token.Clone();
        extended[8]++; // a later expiry, not signed
        Assert.False(tokens.IsValid(extended, s_client));
        var forged = (byte[])token.Clone();
        forged[^1] ^= 1;
        Assert.False(tokens.IsValid(forged, s_client));
        Assert.False(tokens.IsValid(token.AsSpan(0, UdpTokens.Length - 1), s_client));
        Assert.False(tokens.IsValid(new byte[64], s_client));
        Assert.False(Tokens(time).IsValid(token, s_client), "another start (another random key) does not accept it");
    }

    [Fact]
    public void IsValid_SharedKey_AnotherInstanceAccepts()
    {
        var time = new FakeTimeProvider();
        var key = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)i).ToArray());
        var (token, _) = Tokens(time, key).Issue(s_client);

        Assert.True(Tokens(time, key).IsValid(token, s_client));
    }
}
