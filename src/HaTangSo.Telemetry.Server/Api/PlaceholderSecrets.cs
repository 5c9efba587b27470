using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// Marker options type: validating it at start-up refuses a configuration that still holds a placeholder shipped in
/// <c>deploy/</c> (<c>change-me</c> in <c>deploy/compose/.env.example</c> and <c>deploy/k8s/secret.example.yaml</c>,
/// <c>...</c> in <c>deploy/README.md</c>'s <c>server.env</c>) in a password, token, key or connection string.
/// </summary>
internal sealed class PlaceholderSecrets;

/// <summary>Checks every secret-bearing configuration key for the placeholders the deploy files ship.</summary>
internal sealed class PlaceholderSecretsValidator(IConfiguration configuration) : IValidateOptions<PlaceholderSecrets>
{
    private const string ChangeMe = "change-me";

    // A key hash copied from the examples would be the hash of the placeholder itself.
    private static readonly string s_changeMeHash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ChangeMe)));

    public ValidateOptionsResult Validate(string? name, PlaceholderSecrets options)
    {
        var failures = new List<string>();
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (!string.IsNullOrEmpty(value) && IsSecretKey(key) && IsPlaceholder(key, value))
            {
                failures.Add($"{key}: still holds the placeholder shipped in deploy/ (change-me or ...); set the real secret.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsSecretKey(string key)
    {
        var last = key[(key.LastIndexOf(':') + 1)..];
        return key.StartsWith("ConnectionStrings:", StringComparison.OrdinalIgnoreCase)
            || last.Contains("Password", StringComparison.OrdinalIgnoreCase)
            || last.Contains("Token", StringComparison.OrdinalIgnoreCase)
            || last.Contains("Secret", StringComparison.OrdinalIgnoreCase)
            || last.Equals("Sha256", StringComparison.OrdinalIgnoreCase)
            || last.EndsWith("Key", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsPlaceholder(string key, string value)
    {
        if (value.Contains(ChangeMe, StringComparison.OrdinalIgnoreCase) || value.Trim() == "..."
            || value.Equals(s_changeMeHash, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!key.StartsWith("ConnectionStrings:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = value };
            return builder.TryGetValue("Password", out var password) && password?.ToString()?.Trim() == "...";
        }
        catch (ArgumentException)
        {
            return false; // not a connection string at all: the options that use it say so
        }
    }
}
