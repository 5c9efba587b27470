namespace HaTangSo.Telemetry.Server;

/// <summary>
/// Secrets from files rather than the environment: systemd credentials (<c>LoadCredential=</c>, found in
/// <c>$CREDENTIALS_DIRECTORY</c>), Docker and Kubernetes secrets (<c>/run/secrets</c>), or the directory named by
/// <c>Secrets:Directory</c>. A file named <c>Mqtt__Password</c> holds <c>Mqtt:Password</c>; a trailing newline is
/// dropped. Files override appsettings.json and the environment.
/// </summary>
internal static class SecretFiles
{
    public static WebApplicationBuilder AddSecretFiles(this WebApplicationBuilder builder)
    {
        var directories = new[]
        {
            Environment.GetEnvironmentVariable("CREDENTIALS_DIRECTORY"),
            builder.Configuration["Secrets:Directory"] ?? "/run/secrets",
        };
        foreach (var directory in directories.Distinct())
        {
            if (!string.IsNullOrEmpty(directory) && Directory.Exists(directory))
            {
                builder.Configuration.AddKeyPerFile(directory, optional: true);
            }
        }

        return builder;
    }
}
