using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// API keys in the <c>X-Api-Key</c> header, or as the password of HTTP Basic authentication (so a browser can open
/// the Hangfire dashboard; the user name is ignored). Only SHA-256 hashes of the keys are configured
/// (<c>Api:Keys</c>), so neither the configuration nor a memory dump reveals a usable key.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<ApiOptions> apiOptions) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = PresentedKey();
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
                    [new Claim(ClaimTypes.Name, key.Name), new Claim(ClaimTypes.Role, key.Role)],
                    SchemeName);
                return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
            }
        }

        return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
    }

    /// <summary>Asks browsers for the key (HTTP Basic) as well as telling API clients they need one.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Basic realm=\"HaTangSo.Telemetry\", charset=\"UTF-8\"";
        return base.HandleChallengeAsync(properties);
    }

    private string? PresentedKey()
    {
        if (Request.Headers.TryGetValue(HeaderName, out var values))
        {
            return values.Count == 1 ? values[0] : null;
        }

        var authorization = Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? null : decoded[(colon + 1)..];
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
