using System.Diagnostics;
using System.Text.RegularExpressions;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// <c>git grep</c>-style scan of every tracked file: no private key, no known token format, and no password, secret,
/// token or key given a literal value in a configuration file. Placeholders (<c>${VAR}</c>, <c>&lt;...&gt;</c>,
/// <c>CHANGE-ME</c>) and the local run command's development key are what is allowed.
/// </summary>
public sealed partial class RepositorySecretsTests
{
    private static readonly string[] s_configExtensions = [".json", ".yaml", ".yml", ".conf", ".env", ".ini", ".toml", ".service", ".example"];

    [Fact]
    public void TrackedFiles_HoldNoSecret()
    {
        var root = RepositoryRoot();
        var findings = new List<string>();
        foreach (var file in TrackedFiles(root))
        {
            var path = Path.Combine(root, file);
            if (!File.Exists(path) || new FileInfo(path).Length > 2_000_000 || IsBinary(path))
            {
                continue;
            }

            var lines = File.ReadAllLines(path);
            var isConfig = s_configExtensions.Any(e => file.EndsWith(e, StringComparison.OrdinalIgnoreCase)) || Path.GetFileName(file).StartsWith(".env", StringComparison.Ordinal);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                if (PrivateKey().IsMatch(line) || KnownToken().IsMatch(line))
                {
                    findings.Add($"{file}:{i + 1}: {Shorten(line)}");
                }
                else if (isConfig && CredentialAssignment().Match(line) is { Success: true } match && !IsPlaceholder(match.Groups["value"].Value))
                {
                    findings.Add($"{file}:{i + 1}: {Shorten(line)}");
                }
            }
        }

        Assert.True(findings.Count == 0, "Secrets in the repository:\n" + string.Join("\n", findings));
    }

    [Theory]
    [InlineData("\"Password\": \"hunter2-but-longer\"", false)]
    [InlineData("MQTT_PASSWORD=s3cr3t-value", false)]
    [InlineData("\"Password\": \"\"", true)]
    [InlineData("\"password\":\"--\"", true)]
    [InlineData("INFLUX_TOKEN=${INFLUX_TOKEN}", true)]
    [InlineData("password: <set from the environment>", true)]
    [InlineData("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN=CHANGE-ME", true)]
    public void CredentialAssignment_PlaceholdersPass_LiteralsFail(string line, bool allowed)
    {
        var match = CredentialAssignment().Match(line);
        Assert.True(match.Success);
        Assert.Equal(allowed, IsPlaceholder(match.Groups["value"].Value));
    }

    [Fact]
    public void CredentialAssignment_KubernetesSecretName_NotACredential()
    {
        Assert.DoesNotMatch(CredentialAssignment(), "      secretName: hts-server-tls");
        Assert.Matches(CredentialAssignment(), "  secret: hunter2-but-longer");
    }

    private static bool IsPlaceholder(string value)
    {
        var v = value.Trim().Trim('"', '\'');
        return v.Length == 0
            || v.StartsWith('$') || v.StartsWith('<') || v.StartsWith('{') || v.StartsWith('/') || v.StartsWith('[')
            || v.Contains("CHANGE", StringComparison.OrdinalIgnoreCase) || v.Contains("SET-ME", StringComparison.OrdinalIgnoreCase)
            || v.Contains("example", StringComparison.OrdinalIgnoreCase) || v.Contains("placeholder", StringComparison.OrdinalIgnoreCase)
            // "--" is how mmcli -J prints an unknown value (the recorded modem outputs hold "password":"--").
            || v is "null" or "true" or "false" or "local-dev-operator-key" or "--"
            || v.EndsWith("File", StringComparison.Ordinal) || v.EndsWith("_FILE", StringComparison.Ordinal);
    }

    private static string Shorten(string line) => line.Trim().Length > 80 ? line.Trim()[..80] + "…" : line.Trim();

    private static bool IsBinary(string path)
    {
        Span<byte> head = stackalloc byte[4096];
        using var stream = File.OpenRead(path);
        var read = stream.Read(head);
        return head[..read].Contains((byte)0);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HaTangSo.Telemetry.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("HaTangSo.Telemetry.sln not found above " + AppContext.BaseDirectory);
    }

    private static string[] TrackedFiles(string root)
    {
        var info = new ProcessStartInfo("git", ["-C", root, "ls-files", "-z"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var git = Process.Start(info) ?? throw new InvalidOperationException("git not found");
        var output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, "git ls-files failed: " + git.StandardError.ReadToEnd());
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    [GeneratedRegex(@"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----")]
    private static partial Regex PrivateKey();

    // GitHub, Slack, AWS, OpenAI-style tokens, and InfluxDB 2.x API tokens (86 base64 characters ending in ==).
    [GeneratedRegex(@"\b(ghp_[A-Za-z0-9]{36}|xox[baprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|sk-[A-Za-z0-9]{32,})\b|[A-Za-z0-9_-]{86}==")]
    private static partial Regex KnownToken();

    // secretName (Kubernetes) names a Secret object; it holds none.
    [GeneratedRegex(@"(?i)(password|passwd|secret(?!name)|token|api[_-]?key)[A-Za-z_]*[""']?\s*[:=]\s*(?<value>""[^""]*""|'[^']*'|[^\s,#}]+)")]
    private static partial Regex CredentialAssignment();
}
