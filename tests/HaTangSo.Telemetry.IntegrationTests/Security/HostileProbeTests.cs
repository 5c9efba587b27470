using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.IntegrationTests.Compliance;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.IntegrationTests.Security;

/// <summary>
/// Issue 11's "done means": one enrolled probe publishes every ingestion attack of the issue (backslashes in tags, an
/// operator injection string, rotating link names, links contradicting the registry, an unregistered server, outliers,
/// replayed result ids with other values, the fuzz corpus, a flood) while three honest probes in the same district
/// publish normally, all on the real broker with dynamic security, the real server process, InfluxDB and PostgreSQL.
/// Afterwards the server is healthy, every honest result is in InfluxDB exactly once, every hostile message is
/// accounted for in the quarantine with its reason, no tag value outside the registry exists, and the district's
/// compliance value (the compliance job's own code) is what the honest probes alone give.
/// </summary>
public sealed class HostileProbeTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private const string Hostile = "ht-hostile-01";
    private const int HonestResults = 24;
    private const int ArrivalBurst = 2_000;
    private static readonly string[] s_honest = ["ht-honest-01", "ht-honest-02", "ht-honest-03"];
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task HostileProbe_AmongHonestOnes_EverythingRefusedAccountedFor_HonestDataAndVerdictUntouched()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await SecureStack.StartAsync(postgres, influx, ct, extra: new Dictionary<string, string?>
        {
            // The production limits, with an arrival bucket small enough for the flood below to pass it.
            ["Ingestion__ProbeRateLimitFactor"] = "4",
            ["Ingestion__ProbeRateLimitBurst"] = "4",
            ["Ingestion__ArrivalBurst"] = ArrivalBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ingestion__ArrivalRatePerSecond"] = "1",
        });
        var passwords = new Dictionary<string, string>();
        foreach (var probe in s_honest.Append(Hostile))
        {
            passwords[probe] = (await stack.EnrolAsync(probe, ct)).GetProperty("mqttPassword").GetString()!;
        }

        // Registered servers: the samples' (capacity 1,000 Mb/s) and a second one.
        (await stack.Server.Http.PutAsJsonAsync($"/api/servers/{SampleResults.ServerId}", Server(1_000), ct)).EnsureSuccessStatusCode();
        (await stack.Server.Http.PutAsJsonAsync("/api/servers/hts-speed-test-2", Server(1_000), ct)).EnsureSuccessStatusCode();

        var start = DateTimeOffset.UtcNow.AddHours(-4);
        var honest = s_honest.ToDictionary(p => p, p => Enumerable.Range(0, HonestResults).Select(i => SampleResults.Create(p, i, start.AddMinutes(7.5 * i))).ToList());
        var clients = new Dictionary<string, IMqttClient>();
        try
        {
            foreach (var probe in s_honest.Append(Hostile))
            {
                clients[probe] = await ConnectAsync(stack, probe, passwords[probe], ct);
            }

            // The first half of the honest results, durable before the hostile probe replays their ids.
            await Task.WhenAll(s_honest.Select(p => PublishAsync(clients[p], p, honest[p].Take(HonestResults / 2).Select(SampleResults.ToJson), ct)));
            Assert.Equal(s_honest.Length * HonestResults / 2, await stack.WaitForResultsAsync(s_honest.Length * HonestResults / 2, ct));

            var attacks = Attacks(honest[s_honest[0]][0], honest[s_honest[1]][2]);
            var fuzz = Fuzz(1_000);
            var flood = Enumerable.Range(0, 4_000).Select(i => SampleResults.ToJson(
                SampleResults.Create(Hostile, 0, start.AddSeconds(i)) with { Link = Link("flood-" + (i % 500)) })).ToList();
            await PublishAsync(clients[Hostile], Hostile, attacks.Select(a => a.Payload), ct);
            await PublishAsync(clients[Hostile], Hostile, fuzz, ct);

            // The flood at full speed while the honest probes publish the rest of their results.
            await Task.WhenAll(s_honest.Select(p => PublishAsync(clients[p], p, honest[p].Skip(HonestResults / 2).Select(SampleResults.ToJson), ct))
                .Append(PublishAsync(clients[Hostile], Hostile, flood, ct, window: 500)));
            var hostileCount = attacks.Count + fuzz.Count + flood.Count;

            // Every honest result lands; every hostile message is counted in the quarantine.
            var honestCount = s_honest.Length * HonestResults;
            Assert.Equal(honestCount, await stack.WaitForResultsAsync(honestCount, ct));
            var rows = await QuarantineRows.WaitAsync(
                stack.Settings.PostgresConnectionString, r => r.Where(q => q.ProbeId == Hostile).Sum(q => q.Occurrences) >= hostileCount, s_timeout,
                () => stack.Server.Output, ct);

            var hostileRows = rows.Where(r => r.ProbeId == Hostile).ToList();
            Assert.Equal(hostileCount, hostileRows.Sum(r => r.Occurrences));
            Assert.DoesNotContain(rows, r => r.ProbeId != Hostile);
            var kinds = hostileRows.ToLookup(r => r.PayloadSha256);
            foreach (var attack in attacks)
            {
                var row = Assert.Single(kinds[QuarantineRows.Sha256(attack.Payload)]);
                Assert.True(attack.Kind == row.Kind, $"{attack.Name}: quarantined as {row.Kind} ({row.Reason}), expected {attack.Kind}");
            }

            Assert.Contains(hostileRows, r => r.Kind == "arrival_rate" && r.Occurrences > 1);
            Assert.All(hostileRows, r => Assert.NotEqual("processing_error", r.Kind));

            // Honest results exactly once; nothing of the hostile probe; only registered tag values.
            var points = await stack.Influx.RowsAsync("SELECT result_id, probe FROM speedtest GROUP BY probe", ct);
            Assert.Equal(honestCount, points.Count);
            Assert.Equal(honest.Values.SelectMany(r => r).Select(r => r.ResultId).Order(), points.Select(p => p["result_id"].GetString()!).Order());
            await AssertOnlyRegisteredTagsAsync(stack, ct);
            using (var health = await stack.Server.Http.GetAsync("/health", ct))
            {
                Assert.True(health.IsSuccessStatusCode, stack.Server.Output);
            }

            // The verdict: the compliance job's own code, over what is in InfluxDB, equals the honest probes' mean.
            var expected = honest.Values.SelectMany(r => r).Where(r => r.Link.Access == AccessKind.Fixed).Average(r => r.DownloadMbps!.Value);
            Assert.Equal(expected, await DistrictFixedDownloadAsync(stack, ct), 6);
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }
    }

    private static object Server(double capacity) => new { name = "Máy chủ đo thử", baseUrl = "http://127.0.0.1:8090/", capacityMbps = capacity, enabled = true };

    private static LinkInfo Link(string name) => new() { Name = name, Access = AccessKind.Fixed, Operator = "VNPT", Technology = "ftth" };

    // Each attack of the issue that concerns ingestion, with the refusal it must get.
    private static List<(string Name, byte[] Payload, string Kind)> Attacks(ResultMessage honestResult, ResultMessage anotherHonestResult)
    {
        var attacks = new List<(string, byte[], string)>();
        var sequence = 0;
        var now = DateTimeOffset.UtcNow;
        ResultMessage Base(int link = 0) => SampleResults.Create(Hostile, link, now.AddMinutes(-30 - sequence++));
        void Add(string name, string kind, Action<JsonObject> change, int link = 0)
        {
            var node = SampleResults.ToNode(Base(link));
            change(node);
            attacks.Add((name, SampleResults.Utf8(node.ToJsonString()), kind));
        }

        foreach (var (field, value) in new[]
        {
            ("name", "fixed\\"), ("operator", "VNPT\\"), ("technology", "ftth\\"), ("operator", "VNPT\\ x"), ("operator", "VNPT\\,x"), ("operator", "VNPT\\=x"),
            ("operator", "VNPT,province=01 download_mbps=999"),
        })
        {
            Add($"link.{field} = {value}", "invalid_name", n => n["link"]![field] = value);
        }

        Add("server with a backslash", "invalid_name", n => n["server"] = SampleResults.ServerId + "\\");
        for (var i = 0; i < 40; i++)
        {
            Add($"rotating link name {i}", "unknown_link", n => n["link"]!["name"] = $"l{i:D4}");
        }

        Add("operator contradicting the registry", "link_mismatch", n => n["link"]!["operator"] = "Viettel");
        Add("technology contradicting the registry", "link_mismatch", n => n["link"]!["technology"] = "xdsl");
        Add("access contradicting the registry", "link_mismatch", n => n["link"]!["access"] = "mobile");
        Add("unregistered server", "unknown_server", n => n["server"] = "evil-server");
        Add("100000 Mb/s on a 150 Mb/s line", "implausible", n => n["downloadMbps"] = 100_000.0);
        Add("5000 Mb/s against a 1000 Mb/s server", "implausible", n => n["downloadMbps"] = 5_000.0, link: 1);
        Add("another probe's result id, other values", "duplicate", n => n["resultId"] = honestResult.ResultId);
        Add("another probe's result id, another server", "duplicate", n =>
        {
            n["resultId"] = anotherHonestResult.ResultId;
            n["server"] = "hts-speed-test-2";
        });
        attacks.Add(("another probe's exact payload", SampleResults.ToJson(honestResult), "invalid_field"));
        return attacks;
    }

    // Random mutations of a message naming an unregistered server: whatever the mutation, it is never valid.
    private static List<byte[]> Fuzz(int count)
    {
        var fuzzer = new MessageFuzzer(2025);
        return [.. Enumerable.Range(0, count).Select(i =>
            fuzzer.Mutate(SampleResults.Create(Hostile, i, DateTimeOffset.UtcNow.AddMinutes(-60 - i)) with { Server = "evil-server" }))];
    }

    private static async Task<IMqttClient> ConnectAsync(SecureStack stack, string probe, string password, CancellationToken ct)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        // The probe's own client id (its id): the broker may bind a login to it.
        var options = new MqttClientOptionsBuilder().WithTcpServer(stack.Broker.Host, stack.Broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId(probe).WithCredentials(probe, password)
            .WithTimeout(TimeSpan.FromSeconds(30)).Build();
        var connected = await client.ConnectAsync(options, ct);
        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        return client;
    }

    private static async Task PublishAsync(IMqttClient client, string probe, IEnumerable<byte[]> payloads, CancellationToken ct, int window = 50)
    {
        foreach (var chunk in payloads.Chunk(window))
        {
            var answers = await Task.WhenAll(chunk.Select(p => client.PublishAsync(
                new MqttApplicationMessageBuilder().WithTopic(Topics.Results(probe)).WithPayload(p)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct)));
            Assert.All(answers, a => Assert.Equal(MqttClientPublishReasonCode.Success, a.ReasonCode));
        }
    }

    private static async Task AssertOnlyRegisteredTagsAsync(SecureStack stack, CancellationToken ct)
    {
        var registered = new Dictionary<string, string[]>
        {
            ["province"] = ["42"],
            ["district"] = ["445"],
            ["commune"] = ["18409"],
            ["probe"] = s_honest,
            ["link"] = ["fixed", "modem"],
            ["access"] = ["fixed", "mobile"],
            ["operator"] = ["VNPT", "Viettel"],
            ["technology"] = ["ftth", "4g"],
            ["server"] = [SampleResults.ServerId],
            ["status"] = [ResultStatus.Ok],
        };
        var keys = await stack.Influx.RowsAsync("SHOW TAG KEYS FROM speedtest", ct);
        Assert.Equal(registered.Keys.Order(), keys.Select(k => k["tagKey"].GetString()!).Order());
        foreach (var (key, allowed) in registered)
        {
            var values = await stack.Influx.RowsAsync($"SHOW TAG VALUES FROM speedtest WITH KEY = \"{key}\"", ct);
            Assert.All(values, v => Assert.Contains(v["value"].GetString(), allowed));
        }
    }

    // The district's rolling-window fixed download as the compliance job computes it, run in process on the same
    // databases (its own broker: it only needs to be healthy), an hour after the results.
    private static async Task<double> DistrictFixedDownloadAsync(SecureStack stack, CancellationToken ct)
    {
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        var settings = stack.Settings with { MqttPort = broker.Port, ClientId = "hts-compliance-check", Extra = new Dictionary<string, string?>() };
        await using var instance = await ServerInstance.StartAsync(
            settings, new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(1)), new Dictionary<string, string?> { ["Compliance:MinSamples"] = "5" }, ct);
        await instance.Get<ComplianceJob>().RunAsync(ct);
        var verdicts = await instance.Http.GetFromJsonAsync<ComplianceRecord[]>("/api/compliance/42/445?window=rolling", ct);
        return Assert.Single(verdicts!, v => v.Access == AccessKind.Fixed).Value!.Value;
    }
}
