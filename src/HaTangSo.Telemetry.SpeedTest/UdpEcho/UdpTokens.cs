using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.SpeedTest.UdpEcho;

/// <summary>
/// Short-lived tokens that admit a client to the UDP echo: issued over HTTP (<c>udpToken</c>), so only an address
/// that completed a TCP handshake with this server holds one, and bound to that address and an expiry by an
/// HMAC-SHA256. A forged source address (a reflection attack aimed at a third party) has no token for itself, so
/// its datagrams are dropped without an answer. Layout: version (1 byte), expiry in Unix seconds (8, big-endian),
/// the first 16 bytes of HMAC-SHA256(key, version | expiry | client address as 16 bytes).
/// </summary>
internal sealed class UdpTokens
{
    /// <summary>Bytes of a token; it opens every echo datagram.</summary>
    public const int Length = 1 + 8 + MacBytes;

    private const int MacBytes = 16;
    private const byte Version = 1;
    private readonly byte[] _key;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;

    public UdpTokens(IOptions<SpeedTestOptions> options, TimeProvider time)
    {
        var settings = options.Value;
        // One instance: a random key per start (tokens live minutes). Several behind one address: a shared key.
        _key = string.IsNullOrEmpty(settings.UdpTokenKey) ? RandomNumberGenerator.GetBytes(32) : Convert.FromBase64String(settings.UdpTokenKey);
        _time = time;
        _lifetime = settings.UdpTokenLifetime;
    }

    /// <summary>A token for <paramref name="client"/>, valid until the returned time.</summary>
    public (byte[] Token, DateTimeOffset ExpiresAt) Issue(IPAddress client)
    {
        var expires = _time.GetUtcNow() + _lifetime;
        var token = new byte[Length];
        token[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(token.AsSpan(1), expires.ToUnixTimeSeconds());
        Mac(token.AsSpan(0, 9), client, token.AsSpan(9));
        return (token, DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()));
    }

    /// <summary>Whether <paramref name="token"/> was issued by this server (key) to <paramref name="client"/> and has not expired.</summary>
    public bool IsValid(ReadOnlySpan<byte> token, IPAddress client)
    {
        if (token.Length < Length || token[0] != Version)
        {
            return false;
        }

        var expires = BinaryPrimitives.ReadInt64BigEndian(token[1..]);
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (expires < now || expires > now + (long)_lifetime.TotalSeconds + 1)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(token[..9], client, expected);
        return CryptographicOperations.FixedTimeEquals(expected, token.Slice(9, MacBytes));
    }

    /// <summary>IPv4 clients arrive as IPv4-mapped IPv6 on a dual-mode socket: one form for both sides.</summary>
    public static IPAddress Normalise(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private void Mac(ReadOnlySpan<byte> header, IPAddress client, Span<byte> destination)
    {
        Span<byte> message = stackalloc byte[9 + 16];
        header.CopyTo(message);
        Normalise(client).MapToIPv6().TryWriteBytes(message[9..], out _);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, message, mac);
        mac[..MacBytes].CopyTo(destination);
    }
}
