using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// API keys in the <c>X-Api-Key</c> header, or as the password of HTTP Basic authentication for a browser, and then
/// only for <c>GET</c>/<c>HEAD</c> below <c>/overview/</c> and <c>/hangfire</c> (the user name is ignored): a browser
/// caches Basic credentials and sends them with any request a page on another site makes it send, so a
/// state-changing request is never authenticated by them (no cross-site request forgery), and Basic on any other
/// route is not even looked at. Only SHA-256 hashes of the keys are configured (<c>Api:Keys</c>), so neither the
/// configuration nor a memory dump reveals a usable key; the comparison takes the same time whatever matches.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<ApiOptions> apiOptions) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    /// <summary>A claim saying how the key came: <see cref="ViaHeader"/> or <see cref="ViaBasic"/>.</summary>
    public const string MethodClaim = "hts:key-via";

    /// <summary>The key came in <c>X-Api-Key</c>.</summary>
    public const string ViaHeader = "header";

    /// <summary>The key came as an HTTP Basic password (a browser, read-only routes).</summary>
    public const string ViaBasic = "basic";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var (presented, via) = PresentedKey();
        if (string.IsNullOrEmpty(presented))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        foreach (var key in apiOptions.Value.Keys)
        {
            if (key.Sha256 is { Length: 64 } expected &&
                CryptographicOperations.FixedTimeEquals(hash, Convert.FromHexString(expected)))
            {
                var identity = new ClaimsIdentity(
                    [new Claim(ClaimTypes.Name, key.Name), new Claim(ClaimTypes.Role, key.Role), new Claim(MethodClaim, via)],
                    SchemeName);
                return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
            }
        }

        return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
    }

    /// <summary>
    /// Asks browsers for the key (HTTP Basic) on the pages where Basic counts; elsewhere API clients are told to send
    /// <c>X-Api-Key</c>.
    /// </summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = BasicAllowed(Request)
            ? "Basic realm=\"HaTangSo.Telemetry\", charset=\"UTF-8\""
            : "ApiKey header=\"X-Api-Key\"";
        return base.HandleChallengeAsync(properties);
    }

    /// <summary>Whether HTTP Basic is accepted for this request: reading a browser page, nothing else.</summary>
    internal static bool BasicAllowed(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && (request.Path.StartsWithSegments("/overview", StringComparison.OrdinalIgnoreCase)
            || request.Path.StartsWithSegments("/hangfire", StringComparison.OrdinalIgnoreCase));

    private (string? Key, string Via) PresentedKey()
    {
        if (Request.Headers.TryGetValue(HeaderName, out var values))
        {
            return (values.Count == 1 ? values[0] : null, ViaHeader);
        }

        var authorization = Request.Headers.Authorization.ToString();
        if (!BasicAllowed(Request) || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ViaBasic);
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return (colon < 0 ? null : decoded[(colon + 1)..], ViaBasic);
        }
        catch (FormatException)
        {
            return (null, ViaBasic);
        }
    }
}
