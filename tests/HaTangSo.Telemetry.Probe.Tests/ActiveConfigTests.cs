using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Probe.Fleet;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace HaTangSo.Telemetry.Probe.Tests;

public sealed class ActiveConfigTests : IDisposable
{
    private const string ProbeId = "ht-18409-01";
    private readonly TempDirectory _directory = new("active-config");

    public static MeasurementConfig Valid(long version = 3) => new()
    {
        ProbeId = ProbeId,
        Version = version,
        ScheduleMinutes = 30,
        RandomizeOffset = false,
        Servers = [new MeasurementServer { Id = "ht-dc-1", Url = "http://speedtest.example.vn:8090/" }],
        Test = new MeasurementTest { Streams = 2, DurationSeconds = 6, WarmupSeconds = 2, LatencySamples = 10, UdpPort = 0, UdpPackets = 50 },
        BusyThresholdMbps = 0.5,
    };

    private static byte[] Json(MeasurementConfig config) => JsonSerializer.SerializeToUtf8Bytes(config, ContractsJsonContext.Default.MeasurementConfig);

    private ActiveConfig Create(MeasurementPlan? local = null) => new(ProbeId, local, _directory.Path, NullLogger.Instance);

    [Fact]
    public void Offer_ValidConfig_AppliedAsOnePlanPersistedAndSignalled()
    {
        var active = Create();
        var changed = active.Changed;

        Assert.Equal(ConfigOutcome.Applied, active.Offer(Json(Valid())));

        var plan = active.Plan!;
        Assert.True(changed.IsCompleted);
        Assert.Equal((3L, TimeSpan.FromMinutes(30), false, "ht-dc-1"), (plan.Version, plan.Schedule, plan.RandomizeOffset, plan.ServerId));
        Assert.Equal((2, TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(2), 0), (plan.Settings.Streams, plan.Settings.Duration, plan.Settings.Warmup, plan.Settings.UdpPort));
        Assert.Null(active.Refusal);

        // A restart uses the persisted one before any broker is reachable, over the local file's keys.
        var local = new MeasurementPlan(0, TimeSpan.FromMinutes(15), true, new Uri("http://other/"), "other", new(), 1);
        Assert.Equal(3, Create(local).Plan!.Version);
    }

    [Fact]
    public void Offer_InvalidConfig_RefusedNamingTheFieldAndTheLastGoodKept()
    {
        var active = Create();
        active.Offer(Json(Valid()));

        var outcome = active.Offer(Json(Valid(4) with { Test = Valid().Test with { Streams = 1000 } }));

        Assert.Equal(ConfigOutcome.Refused, outcome);
        Assert.Contains("test.streams", active.Refusal, StringComparison.Ordinal);
        Assert.Equal(3, active.Plan!.Version);
        Assert.Equal(3, Create().Plan!.Version);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("""{"schema":"hts.config.v1"}""")]
    public void Offer_Garbage_Refused(string payload)
    {
        var active = Create();

        Assert.Equal(ConfigOutcome.Refused, active.Offer(Encoding.UTF8.GetBytes(payload)));
        Assert.Null(active.Plan);
        Assert.NotNull(active.Refusal);
    }

    [Fact]
    public void Offer_AnotherProbesOrAnOlderVersion_Refused_TheSameVersion_Unchanged()
    {
        var active = Create();
        active.Offer(Json(Valid(5)));

        Assert.Equal(ConfigOutcome.Refused, active.Offer(Json(Valid(6) with { ProbeId = "ht-18409-02" })));
        Assert.Contains("probeId", active.Refusal, StringComparison.Ordinal);
        Assert.Equal(ConfigOutcome.Refused, active.Offer(Json(Valid(4))));
        Assert.Equal(ConfigOutcome.Unchanged, active.Offer(Json(Valid(5))));
        Assert.Equal(5, active.Plan!.Version);
    }

    [Fact]
    public void Offer_CorruptPersistedFile_Ignored_LocalPlanUsed()
    {
        File.WriteAllText(Path.Combine(_directory.Path, ActiveConfig.FileName), "{ truncated");
        var local = new MeasurementPlan(0, TimeSpan.FromMinutes(15), true, new Uri("http://other/"), "other", new(), 1);

        Assert.Same(local, Create(local).Plan);
    }

    /// <summary>Hostile input is normal input: any document built from valid and invalid pieces is applied or refused, never thrown on.</summary>
    [Fact]
    public void Offer_RandomDocuments_AppliedOrRefusedNeverThrows()
    {
        var values = Gen.Elements<JsonNode?>(
            null, 0, -1, 1, 3, 10, 60, 1440, 1441, 1e308, -0.0, 2.5, true, false, "", "x", "ht-dc-1", "http://s/", "ftp://s/", "http://u:p@s/?q",
            new JsonArray(), new JsonObject(), long.MaxValue, int.MinValue);
        var keys = Gen.Elements("schema", "probeId", "version", "scheduleMinutes", "randomizeOffset", "servers", "test", "busyThresholdMbps", "extra");
        var servers = Gen.ListOf(Gen.Elements<JsonNode?>(
            null, new JsonObject { ["id"] = "ht-dc-1", ["url"] = "http://s:8090/" }, new JsonObject { ["id"] = "Bad Id", ["url"] = "http://s/" },
            new JsonObject { ["id"] = "ht-dc-1" }, "ht-dc-1"));
        var document = Gen.ListOf(keys.SelectMany(k => values.Select(v => (k, v))))
            .SelectMany(pairs => servers.Select(list => (pairs, list)))
            .Select(p =>
            {
                var node = JsonNode.Parse(Encoding.UTF8.GetString(Json(Valid())))!.AsObject();
                foreach (var (key, value) in p.pairs)
                {
                    node[key] = value?.DeepClone();
                }

                if (p.list.Count > 0)
                {
                    node["servers"] = new JsonArray([.. p.list.Select(n => n?.DeepClone())]);
                }

                return node.ToJsonString();
            });
        var active = Create();
        var property = Prop.ForAll(Arb.From(document), json =>
        {
            var before = active.Plan;
            var outcome = active.Offer(Encoding.UTF8.GetBytes(json));
            return outcome switch
            {
                ConfigOutcome.Applied => active.Plan is { Version: >= 1 } && active.Refusal is null,
                ConfigOutcome.Refused => ReferenceEquals(before, active.Plan) && active.Refusal is not null,
                _ => ReferenceEquals(before, active.Plan),
            };
        });

        property.Check(Config.QuickThrowOnFailure.WithMaxTest(500).WithQuietOnSuccess(true));
    }

    public void Dispose() => _directory.Dispose();
}
