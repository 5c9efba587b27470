using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Probe.Fleet;

namespace HaTangSo.Telemetry.Probe.Tests;

/// <summary>Issue 15.3: with a second (off-net) server configured, a link's scheduled runs take turns, the primary first.</summary>
public sealed class MeasurementPlanTests
{
    [Fact]
    public void Scheduled_runs_go_round_the_configured_servers_primary_first()
    {
        var config = ActiveConfigTests.Valid() with
        {
            Servers =
            [
                new MeasurementServer { Id = "ht-dc-1", Url = "http://speedtest.example.vn:8090/" },
                new MeasurementServer { Id = "vnix-hn", Url = "https://vnix.example.vn/" },
            ],
        };
        var plan = MeasurementPlan.FromRegistry(config);

        Assert.Equal(["ht-dc-1", "vnix-hn", "ht-dc-1", "vnix-hn", "ht-dc-1"], Enumerable.Range(0, 5).Select(run => plan.ForRun(run).ServerId));
        Assert.Equal(new Uri("https://vnix.example.vn/"), plan.ForRun(1).Server);
        Assert.Same(plan, plan.ForRun(4));
        Assert.Equal(plan.Settings, plan.ForRun(3).Settings);

        // A command naming a server: one of the configuration's, else refused (null).
        Assert.Same(plan, plan.ForServer(null));
        Assert.Same(plan, plan.ForServer("ht-dc-1"));
        Assert.Equal(new Uri("https://vnix.example.vn/"), plan.ForServer("vnix-hn")!.Server);
        Assert.Null(plan.ForServer("elsewhere"));
    }

    [Fact]
    public void One_server_takes_every_run()
    {
        var plan = MeasurementPlan.FromRegistry(ActiveConfigTests.Valid());
        Assert.All(Enumerable.Range(0, 4), run => Assert.Same(plan, plan.ForRun(run)));
    }
}
