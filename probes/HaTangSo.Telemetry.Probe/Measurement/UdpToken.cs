using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// The token that admits this link to the speed-test server's UDP echo: fetched over HTTP from the same link just
/// before the UDP test (the server binds it to the address it sees and to an expiry), and put at the start of every
/// datagram. A server without the endpoint (LibreSpeed, an older HaTangSo) gets zeros in its place: such a server
/// echoes anything.
/// </summary>
internal static class UdpToken
{
    /// <summary>Bytes of a token (the speed-test server's <c>UdpTokens.Length</c>).</summary>
    public const int Length = 25;

    /// <summary>Asks the server for a token; the zero token when it has no such endpoint (404).</summary>
    public static async Task<byte[]> FetchAsync(LinkEndpoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = endpoint.NewHttpClient(1, timeout);
        using var response = await http.GetAsync(LibreSpeedPaths.UdpToken(endpoint.Server), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return new byte[Length];
        }

        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var answer = await JsonSerializer.DeserializeAsync(body, UdpTokenJsonContext.Default.UdpTokenAnswer, cancellationToken);
        var token = answer?.Token is { } text ? Convert.FromBase64String(text) : [];
        return token.Length == Length ? token : throw new InvalidDataException($"the server's UDP token has {token.Length} bytes, not {Length}");
    }
}

/// <summary>The speed-test server's <c>udpToken</c> answer.</summary>
internal sealed record UdpTokenAnswer(string? Token, DateTimeOffset? ExpiresAt, int? UdpPort);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(UdpTokenAnswer))]
internal sealed partial class UdpTokenJsonContext : JsonSerializerContext;
