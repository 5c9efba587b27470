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

    [GeneratedRegex(@"^[a-z0-9./_-]+:(?!latest)[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*$")]
    private static partial Regex PinnedImage();

    [GeneratedRegex("(?i)password|token|sha256|connectionstrings")]
    private static partial Regex SecretKey();
}
