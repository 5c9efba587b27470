using System.Text.RegularExpressions;

namespace HaTangSo.Telemetry.IntegrationTests.Deployment;

/// <summary>
/// <c>deploy/k8s/</c> without a cluster: every manifest parses, images are pinned, the server's replicas each get
/// a stable client id from their pod name, the probes point at <c>/health</c> and <c>/health/live</c>, and settings
/// are split into a ConfigMap and a Secret holding only keys the server binds.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    private const string Directory = "deploy/k8s";

    private static List<Dictionary<object, object>> All() =>
        YamlDocuments.Load(DeployFiles.Path(Directory + "/kustomization.yaml")).Single().List("resources")
            .SelectMany(r => YamlDocuments.Load(DeployFiles.Path($"{Directory}/{r}")))
            .ToList();

    private static Dictionary<object, object> Kind(string kind, string name) =>
        All().Concat(YamlDocuments.Load(DeployFiles.Path(Directory + "/secret.example.yaml")))
            .Single(d => d.Text("kind") == kind && d.Map("metadata").Text("name") == name);

    private static Dictionary<object, object> Container(Dictionary<object, object> workload) =>
        (Dictionary<object, object>)workload.Map("spec").Map("template").Map("spec").List("containers").Single();

    [Fact]
    public void Manifests_Every_HasKindAndPinnedImages()
    {
        var documents = All();
        Assert.Contains(documents, d => d.Text("kind") == "Namespace");
        foreach (var document in documents)
        {
            Assert.False(string.IsNullOrEmpty(document.Text("apiVersion")));
            Assert.False(string.IsNullOrEmpty(document.Map("metadata").Text("name")));
            if (document.Text("kind") is "Deployment" or "StatefulSet")
            {
                var image = Container(document).Text("image")!;
                Assert.True(PinnedImage().IsMatch(image), $"{document.Map("metadata").Text("name")}: image '{image}' is not pinned");
            }
        }
    }

    [Fact]
    public void Server_Replicas_StableDistinctClientIdFromPodName()
    {
        var server = Kind("StatefulSet", "hts-server");
        Assert.True(int.Parse(server.Map("spec").Text("replicas")!, System.Globalization.CultureInfo.InvariantCulture) >= 2);
        var clientId = Container(server).List("env").Cast<Dictionary<object, object>>().Single(e => e.Text("name") == "Mqtt__ClientId");
        Assert.Equal("metadata.name", clientId.Map("valueFrom").Map("fieldRef").Text("fieldPath"));
        // The headless service a StatefulSet names must exist.
        Kind("Service", server.Map("spec").Text("serviceName")!);
    }

    [Fact]
    public void Server_Probes_ReadinessOnHealthLivenessOnLive()
    {
        var container = Container(Kind("StatefulSet", "hts-server"));
        Assert.Equal("/health", container.Map("readinessProbe").Map("httpGet").Text("path"));
        Assert.Equal("/health/live", container.Map("livenessProbe").Map("httpGet").Text("path"));
        Assert.Equal("/health/live", container.Map("startupProbe").Map("httpGet").Text("path"));
        Assert.Equal("false", container.Map("securityContext").Text("allowPrivilegeEscalation"));
    }

    [Fact]
    public void Server_ConfigMapAndSecret_SeparateAndKnownKeys()
    {
        var container = Container(Kind("StatefulSet", "hts-server"));
        var sources = container.List("envFrom").Cast<Dictionary<object, object>>().ToList();
        var config = Kind("ConfigMap", sources.Single(s => s.ContainsKey("configMapRef")).Map("configMapRef").Text("name")!).Map("data");
        var secret = Kind("Secret", sources.Single(s => s.ContainsKey("secretRef")).Map("secretRef").Text("name")!).Map("stringData");

        var names = config.Keys.Concat(secret.Keys).Select(k => k.ToString()!)
            .Concat(container.List("env").Cast<Dictionary<object, object>>().Select(e => e.Text("name")!));
        var problems = names.Select(ConfigurationKeys.Server.Problem).OfType<string>().ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.DoesNotContain(config.Keys.Select(k => k.ToString()!), k => SecretKey().IsMatch(k));
        Assert.All(secret.Keys.Select(k => k.ToString()!), k => Assert.Matches(SecretKey(), k));
        Assert.Contains("ConnectionStrings__Postgres", secret.Keys.Select(k => k.ToString()));
        Assert.Equal("false", config.Text("Influx__CreateDatabase"));
    }

    [Fact]
    public void SpeedTest_Environment_KnownKeysAndUdpPort()
    {
        var speedtest = Kind("Deployment", "hts-speedtest");
        var env = Container(speedtest).List("env").Cast<Dictionary<object, object>>().Select(e => e.Text("name")!);
        var problems = env.Select(ConfigurationKeys.SpeedTest.Problem).OfType<string>().ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        var service = Kind("Service", "hts-speedtest");
        Assert.Contains(service.Map("spec").List("ports").Cast<Dictionary<object, object>>(), p => p.Text("protocol") == "UDP" && p.Text("port") == "9091");
    }

    [Fact]
    public void Emqx_Authorization_ProbesOwnTopicsServersReadOnlyNoMatchDeny()
    {
        var config = Kind("ConfigMap", "emqx-config").Map("data");
        var emqx = config.Text("emqx.conf")!;
        Assert.Matches(@"no_match\s*=\s*deny", emqx);
        Assert.Matches(@"user_id_type\s*=\s*clientid", emqx); // every login bound to its client id
        Assert.Matches(@"max_packet_size\s*=\s*64KB", emqx);
        var aclPath = Regex.Match(emqx, @"type\s*=\s*file[^}]*path\s*=\s*""([^""]+)""").Groups[1].Value;

        // The ACL file is mounted where the configuration reads it.
        var container = Container(Kind("StatefulSet", "emqx"));
        var mount = container.List("volumeMounts").Cast<Dictionary<object, object>>().Single(m => m.Text("mountPath") == aclPath);
        Assert.Equal("acl.conf", mount.Text("subPath"));

        var rules = config.Text("acl.conf")!.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("%%", StringComparison.Ordinal)).ToList();
        Assert.All(rules, r => Assert.EndsWith("}.", r, StringComparison.Ordinal));
        Assert.Equal("{deny, all}.", rules[^1]);
        Assert.DoesNotContain(rules, r => r.StartsWith("{allow, all", StringComparison.Ordinal));

        // Every allow names its clients by client id, and only these three allows exist.
        var allows = rules.Where(r => r.StartsWith("{allow,", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, allows.Count);
        var server = Assert.Single(allows, r => r.Contains("^hts-server-[0-9]+$", StringComparison.Ordinal));
        Assert.Contains(", subscribe, [", server, StringComparison.Ordinal);
        Assert.Equal(["hts/v1/probes/+/results", "hts/v1/probes/+/status"], Topics(server));
        // A server's live lane (issue 16.2) reads the results and nothing else.
        var live = Assert.Single(allows, r => r.Contains("^hts-server-[0-9]+-live$", StringComparison.Ordinal));
        Assert.Contains(", subscribe, [", live, StringComparison.Ordinal);
        Assert.Equal(["hts/v1/probes/+/results"], Topics(live));
        var probe = Assert.Single(allows, r => r.Contains(", publish, [", StringComparison.Ordinal));
        Assert.Contains("{clientid, {re, \"^[a-z0-9][a-z0-9-]{2,63}$\"}}", probe, StringComparison.Ordinal);
        Assert.Equal(["hts/v1/probes/${clientid}/results", "hts/v1/probes/${clientid}/status"], Topics(probe));

        // The system's other names get nothing, and that rule comes before the probes' (hts-server-0 matches the probe pattern too).
        var system = rules.FindIndex(r => r == "{deny, {clientid, {re, \"^hts-\"}}, all}.");
        Assert.True(system > rules.IndexOf(server) && system > rules.IndexOf(live) && system < rules.IndexOf(probe), "the hts- deny must sit between the server and probe rules");

        // The servers reach EMQX through its in-cluster Service, each with its pod name as client id and login.
        Assert.StartsWith("emqx.", Kind("ConfigMap", "hts-server-config").Map("data").Text("Mqtt__Host"), StringComparison.Ordinal);
        var env = Container(Kind("StatefulSet", "hts-server")).List("env").Cast<Dictionary<object, object>>().ToList();
        Assert.Equal("metadata.name", env.Single(e => e.Text("name") == "Mqtt__Username").Map("valueFrom").Map("fieldRef").Text("fieldPath"));
    }

    private static List<string> Topics(string rule) =>
        Regex.Matches(rule[rule.LastIndexOf('[')..], @"""([^""]+)""").Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex(@"^[a-z0-9./_-]+:(?!latest)[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*$")]
    private static partial Regex PinnedImage();

    [GeneratedRegex("(?i)password|token|sha256|connectionstrings")]
    private static partial Regex SecretKey();
}
