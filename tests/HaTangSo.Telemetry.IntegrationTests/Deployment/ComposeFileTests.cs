using System.Text.RegularExpressions;

namespace HaTangSo.Telemetry.IntegrationTests.Deployment;

/// <summary>
/// <c>deploy/compose/compose.yaml</c> without a container engine (there is none here): its structure, the
/// configuration keys it sets against the hosts' options classes, the files it mounts, and
/// <c>docker-compose config</c> (Debian's Compose v1 parser and schema).
/// </summary>
public sealed partial class ComposeFileTests
{
    private const string ComposeDirectory = "deploy/compose";
    private static readonly string s_composePath = DeployFiles.Path(ComposeDirectory + "/compose.yaml");

    private static Dictionary<object, object> Services => YamlDocuments.Load(s_composePath).Single().Map("services");

    [Fact]
    public void Images_EveryService_PinnedToAVersion()
    {
        foreach (var (name, service) in Services)
        {
            var image = service.Text("image") ?? string.Empty;
            if (service.MapOrNull("build") is { } build)
            {
                // Built here: the base images in the Dockerfile are what must be pinned.
                var dockerfile = DeployFiles.Path(build.Text("dockerfile")!);
                var bases = File.ReadLines(dockerfile).Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ToList();
                Assert.NotEmpty(bases);
                Assert.All(bases, b => Assert.Matches(PinnedImage(), b));
            }
            else
            {
                Assert.True(PinnedImage().IsMatch(image), $"service {name}: image '{image}' is not pinned to a version");
            }
        }
    }

    [Fact]
    public void Services_TheWholeStack_Present()
    {
        var images = Services.Values.Select(s => s.Text("image") ?? string.Empty).ToList();
        foreach (var expected in new[] { "influxdb:2.", "eclipse-mosquitto:2.", "postgres:", "grafana/grafana:", "prom/prometheus:", "hatangso/telemetry-speedtest:" })
        {
            Assert.Contains(images, i => i.StartsWith(expected, StringComparison.Ordinal));
        }

        Assert.True(images.Count(i => i.StartsWith("hatangso/telemetry-server:", StringComparison.Ordinal)) >= 2, "two server instances");
    }

    [Fact]
    public void Environment_HatangsoServices_OnlyKeysTheHostsBind()
    {
        Assert.Contains("Mqtt", ConfigurationKeys.Server.Sections);
        Assert.Contains("SpeedTest", ConfigurationKeys.SpeedTest.Sections);
        var problems = new List<string>();
        foreach (var (name, service) in Services)
        {
            var image = service.Text("image") ?? string.Empty;
            var keys = image.StartsWith("hatangso/telemetry-server:", StringComparison.Ordinal) ? ConfigurationKeys.Server
                : image.StartsWith("hatangso/telemetry-speedtest:", StringComparison.Ordinal) ? ConfigurationKeys.SpeedTest
                : null;
            if (keys is not null)
            {
                problems.AddRange(Environment(service).Keys.Select(keys.Problem).OfType<string>().Select(p => $"{name}: {p}"));
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void ServerInstances_Two_DistinctClientIdsSameDatabasesNoDatabaseCreation()
    {
        var servers = Services.Where(s => (s.Value.Text("image") ?? string.Empty).StartsWith("hatangso/telemetry-server:", StringComparison.Ordinal))
            .Select(s => Environment(s.Value)).ToList();

        Assert.True(servers.Count >= 2);
        var clientIds = servers.Select(e => e.GetValueOrDefault("Mqtt__ClientId")).ToList();
        Assert.All(clientIds, id => Assert.False(string.IsNullOrEmpty(id)));
        Assert.Equal(clientIds.Count, clientIds.Distinct(StringComparer.Ordinal).Count());
        // One Hangfire queue and one registry (same PostgreSQL), one InfluxDB mapping made by the init script.
        Assert.Single(servers.Select(e => e["ConnectionStrings__Postgres"]).Distinct());
        Assert.All(servers, e => Assert.Equal("false", e["Influx__CreateDatabase"]));
        Assert.All(servers, e => Assert.Equal("hatangso", e["Influx__Database"]));
        Assert.All(servers, e => Assert.Equal("hts_results", e["Influx__RetentionPolicy"]));
        var init = File.ReadAllText(DeployFiles.Path(ComposeDirectory + "/influxdb/init-v1.sh"));
        Assert.Contains("influx v1 dbrp create", init, StringComparison.Ordinal);
        Assert.Contains("influx v1 auth create --username hts-server", init, StringComparison.Ordinal);
    }

    [Fact]
    public void Secrets_FromEnvFile_NoneCommitted()
    {
        var text = File.ReadAllText(s_composePath);
        var problems = new List<string>();
        foreach (var (name, service) in Services)
        {
            foreach (var (key, value) in Environment(service))
            {
                // A password, token or key hash is always a ${VARIABLE} from .env, never a value in the file.
                if (SecretKey().IsMatch(key) && !value.Contains("${", StringComparison.Ordinal))
                {
                    problems.Add($"{name}: {key} has a literal value");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        var example = File.ReadAllLines(DeployFiles.Path(ComposeDirectory + "/.env.example"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#')).ToDictionary(l => l.Split('=')[0], l => l.Split('=', 2)[1]);
        foreach (Match required in RequiredVariable().Matches(text))
        {
            Assert.True(example.ContainsKey(required.Groups[1].Value), $".env.example lacks {required.Groups[1].Value}");
        }

        Assert.All(example.Where(e => SecretKey().IsMatch(e.Key)), e => Assert.Equal("change-me", e.Value));
        Assert.Contains("deploy/compose/.env", File.ReadAllLines(DeployFiles.Path(".gitignore")));
    }

    [Fact]
    public void Mounts_EveryBindMount_Exists()
    {
        var missing = new List<string>();
        foreach (var (name, service) in Services)
        {
            foreach (var volume in service.List("volumes").Select(v => v.ToString()!))
            {
                var source = volume.Split(':')[0];
                if (source.StartsWith('.') && !Path.Exists(Path.GetFullPath(Path.Combine(DeployFiles.Path(ComposeDirectory), source))))
                {
                    missing.Add($"{name}: {source}");
                }
            }
        }

        Assert.True(missing.Count == 0, "bind mounts whose source is missing:\n" + string.Join("\n", missing));
    }

    [Fact]
    public async Task DockerCompose_Config_Valid()
    {
        // Compose v1 (Debian's docker-compose) validates the file against the Compose schema and resolves the
        // anchors and the .env interpolation; with the example .env every required variable is set.
        var (code, output) = await DeployFiles.RunAsync(
            "docker-compose",
            ["--env-file", ".env.example", "-f", "compose.yaml", "config", "--quiet"],
            TestContext.Current.CancellationToken,
            DeployFiles.Path(ComposeDirectory));

        Assert.True(code == 0, $"docker-compose config exited {code}:\n{output}");
    }

    private static Dictionary<string, string> Environment(object service)
    {
        var node = service is Dictionary<object, object> map && map.TryGetValue("environment", out var e) ? e : null;
        return node switch
        {
            Dictionary<object, object> m => m.ToDictionary(kv => kv.Key.ToString()!, kv => kv.Value?.ToString() ?? string.Empty),
            List<object> l => l.Select(x => x.ToString()!.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty),
            _ => [],
        };
    }

    // name:tag with a digit in the tag, and not "latest".
    [GeneratedRegex(@"^[a-z0-9./_-]+:(?!latest)[A-Za-z0-9._-]*\d[A-Za-z0-9._$:{}-]*$")]
    private static partial Regex PinnedImage();

    [GeneratedRegex("(?i)password|token|sha256|connectionstrings")]
    private static partial Regex SecretKey();

    [GeneratedRegex(@"\$\{([A-Z0-9_]+):\?")]
    private static partial Regex RequiredVariable();
}
