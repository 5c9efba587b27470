using System.Globalization;
using System.Text.Json;
using HaTangSo.Telemetry.Testing;
using YamlDotNet.Serialization;

namespace HaTangSo.Telemetry.IntegrationTests.Deployment;

/// <summary>
/// Debian's Prometheus, started with <c>deploy/prometheus/prometheus.yml</c> (only the targets and the interval
/// changed for a loopback test), scrapes the real server: <c>up</c> is 1 for the <c>hts-server</c> job and the
/// server's ingestion counter reaches Prometheus with the number of points the test had written.
/// </summary>
public sealed class PrometheusScrapeTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private const string Executable = "/usr/bin/prometheus";

    [Fact]
    public async Task Scrape_DeployConfig_ServerUpAndIngestionCounted()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.True(File.Exists(Executable), $"{Executable} not found: run deploy/local/install-deps.sh as root (it installs Debian's prometheus).");
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        var server = await context.StartServerAsync(ct);
        await using var publisher = context.CreatePublisher();
        var results = Enumerable.Range(0, 7).Select(i => SampleResults.Create(context.ProbeId, i, DateTimeOffset.UtcNow.AddMinutes(-i))).ToList();
        await publisher.PublishAsync(context.ProbeId, [.. results.Select(SampleResults.ToJson)], ct);
        await context.WaitForResultsAsync(results.Count, TimeSpan.FromMinutes(2), ct);

        using var directory = new TempDirectory("hts-prometheus");
        var port = FreePort.Next();
        var config = Path.Combine(directory.Path, "prometheus.yml");
        await File.WriteAllTextAsync(config, RewrittenConfig(server.Port, port), ct);
        await using var prometheus = TestProcess.Start(
            "prometheus",
            Executable,
            [
                "--config.file=" + config, "--storage.tsdb.path=" + Path.Combine(directory.Path, "data"),
                $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
            ]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        // up{job="hts-server"} == 1: Prometheus reached /metrics and parsed it.
        var up = await WaitForValueAsync(prometheus, http, "up{job=\"hts-server\"}", v => v == 1, ct);
        Assert.Equal(1, up);

        // The counter Grafana's pipeline dashboard plots, with the value the server counted.
        var written = await WaitForValueAsync(prometheus, http, "sum(hts_ingest_points_written_total{job=\"hts-server\"})", v => v >= results.Count, ct);
        Assert.Equal(results.Count, written);
        var received = await WaitForValueAsync(prometheus, http, "sum(hts_ingest_messages_received_total{job=\"hts-server\"})", v => v >= results.Count, ct);
        Assert.Equal(results.Count, received);
    }

    /// <summary>The shipped configuration with its hts-server targets pointing at the test's server, scraped every second.</summary>
    private static string RewrittenConfig(int serverPort, int prometheusPort)
    {
        var document = YamlDocuments.Load(DeployFiles.Path("deploy/prometheus/prometheus.yml")).Single();
        document.Map("global")["scrape_interval"] = "1s";
        var jobs = document.List("scrape_configs").Cast<Dictionary<object, object>>().ToList();
        var server = Assert.Single(jobs, j => j.Text("job_name") == "hts-server");
        Assert.Equal("/metrics", server.Text("metrics_path"));
        var targets = Assert.Single(server.List("static_configs").Cast<Dictionary<object, object>>());
        Assert.True(targets.List("targets").Count >= 2, "the shipped config scrapes both server instances");
        targets["targets"] = new List<object> { $"127.0.0.1:{serverPort}" };
        foreach (var other in jobs.Where(j => j.Text("job_name") == "prometheus"))
        {
            other["static_configs"] = new List<object> { new Dictionary<object, object> { ["targets"] = new List<object> { $"127.0.0.1:{prometheusPort}" } } };
        }

        return new SerializerBuilder().Build().Serialize(document);
    }

    /// <summary>Polls an instant query until its single value satisfies <paramref name="done"/> (bounded: 60 s).</summary>
    private static async Task<double> WaitForValueAsync(TestProcess prometheus, HttpClient http, string query, Func<double, bool> done, CancellationToken ct)
    {
        double? value = null;
        var last = string.Empty;
        try
        {
            await prometheus.WaitUntilAsync(
                async token =>
                {
                    try
                    {
                        last = await http.GetStringAsync("/api/v1/query?query=" + Uri.EscapeDataString(query), token);
                    }
                    catch (HttpRequestException)
                    {
                        return false; // not listening yet
                    }

                    using var json = JsonDocument.Parse(last);
                    var result = json.RootElement.GetProperty("data").GetProperty("result");
                    value = result.GetArrayLength() == 1
                        ? double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)
                        : null;
                    return value is { } v && done(v);
                },
                TimeSpan.FromSeconds(60),
                $"query {query}",
                ct);
        }
        catch (TimeoutException ex)
        {
            Assert.Fail($"Prometheus: {query} gave {value?.ToString(CultureInfo.InvariantCulture) ?? "no series"}; last answer {last}\n{ex.Message}");
        }

        return value!.Value;
    }
}
