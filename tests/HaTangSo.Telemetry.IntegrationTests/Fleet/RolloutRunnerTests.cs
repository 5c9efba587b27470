using HaTangSo.Telemetry.Server.Fleet;
using HaTangSo.Telemetry.Server.Fleet.Rollouts;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests.Fleet;

/// <summary>
/// The roll-out runner's rounds on the real PostgreSQL with a fake clock (issue 15.5): an offline probe is pending, then
/// timed out and halts the roll-out when the limit passes; a probe already at the release gets no command; resuming a
/// halted roll-out accepts its wave and starts the next; a paused one issues nothing. Commands land in the one command
/// table, nowhere else.
/// </summary>
public sealed class RolloutRunnerTests(PostgresFixture postgres)
{
    private static readonly TimeSpan s_within = TimeSpan.FromHours(1);

    [Fact]
    public async Task RunOnce_OfflineProbeTimesOut_Halts_ResumeStartsTheNextWave_PauseIssuesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dataSource = NpgsqlDataSource.Create(await postgres.NewDatabaseAsync(ct));
        await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(ct);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 2, 0, 0, TimeSpan.Zero));
        string[] probes = ["rr-a", "rr-b", "rr-c", "rr-d", "rr-e"];
        foreach (var id in probes)
        {
            await ExecuteAsync(dataSource, $"INSERT INTO probes (id, commune_code) VALUES ('{id}', '18409')", ct);
            await ExecuteAsync(dataSource, $"INSERT INTO probe_status (probe_id, state, received_at, agent_version) VALUES ('{id}', 'online', now(), '0.1.0')", ct);
        }

        var rollouts = new RolloutStore(dataSource);
        var members = new RolloutProbeStore(dataSource);
        var commands = new CommandStore(dataSource);
        var publisher = new ConfigPublisher(new FleetConfigStore(dataSource), commands, new ServerMqttClient(), time, NullLogger<ConfigPublisher>.Instance);
        var runner = new RolloutRunner(dataSource, rollouts, members, commands, publisher, Options.Create(new FleetOptions()), time, NullLogger<RolloutRunner>.Instance);

        // Two, then two, then the last; no failure allowed.
        var plan = WavePlanner.Plan(probes, [new(Count: 2), new(Count: 4), new(100)], "0.2.0");
        var rollout = new RolloutRecord(Guid.CreateVersion7(), "0.2.0", ["linux-x64"], "test", plan.Select(w => w.Count).ToArray(),
            new FailureThreshold(0, null), s_within, RolloutStates.Running, null, -1, -1, time.GetUtcNow(), time.GetUtcNow(), null);
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            await RolloutStore.AddAsync(connection, transaction, rollout, ct);
            await RolloutProbeStore.AddPlanAsync(connection, transaction, rollout.RolloutId, plan, ct);
            await transaction.CommitAsync(ct);
        }

        // One probe of wave 2 was upgraded by hand meanwhile: it will need no command.
        var (online, offline) = (plan[0][0], plan[0][1]);
        var current = plan[1][0];
        await ExecuteAsync(dataSource, $"UPDATE probe_status SET agent_version = '0.2.1' WHERE probe_id = '{current}'", ct);

        await runner.RunOnceAsync(ct);
        Assert.Equal(2, await CountAsync(dataSource, "SELECT count(*) FROM probe_commands WHERE kind = 'upgrade' AND version = '0.2.0'", ct));

        // One reports the release; the other stays offline: pending until the limit, then timed out, and the roll-out halts.
        await ExecuteAsync(dataSource, $"UPDATE probe_status SET agent_version = '0.2.0' WHERE probe_id = '{online}'", ct);
        time.Advance(s_within - TimeSpan.FromSeconds(1));
        await runner.RunOnceAsync(ct);
        var view = await ViewAsync(rollouts, members, rollout.RolloutId, time, ct);
        Assert.Equal(RolloutStates.Running, view.Rollout.State);
        Assert.Equal(["upgraded", "pending"], view.Waves[0].Probes.Select(p => p.Outcome));

        time.Advance(TimeSpan.FromSeconds(1));
        await runner.RunOnceAsync(ct);
        view = await ViewAsync(rollouts, members, rollout.RolloutId, time, ct);
        Assert.Equal(RolloutStates.Halted, view.Rollout.State);
        Assert.Contains("wave 1: 1 of 2", view.Rollout.Reason, StringComparison.Ordinal);
        Assert.Equal("timed-out", view.Waves[0].Probes.Single(p => p.ProbeId == offline).Outcome);
        Assert.Equal(2, await CountAsync(dataSource, "SELECT count(*) FROM probe_commands", ct));

        // The operator accepts it: the next wave starts; the hand-upgraded probe is done without a command.
        Assert.True(await rollouts.MoveAsync(rollout.RolloutId, [RolloutStates.Halted], RolloutStates.Running, null, time.GetUtcNow(), ct));
        await runner.RunOnceAsync(ct);
        view = await ViewAsync(rollouts, members, rollout.RolloutId, time, ct);
        Assert.Equal(["accepted", "running", "waiting"], view.Waves.Select(w => w.State));
        Assert.Equal("already-current", view.Waves[1].Probes.Single(p => p.ProbeId == current).Outcome);
        Assert.Null(view.Waves[1].Probes.Single(p => p.ProbeId == current).CommandId);
        Assert.Equal(3, await CountAsync(dataSource, "SELECT count(*) FROM probe_commands", ct));

        // Paused: the second wave reports the release, yet no further wave starts until it is resumed.
        Assert.True(await rollouts.MoveAsync(rollout.RolloutId, [RolloutStates.Running], RolloutStates.Paused, "test", time.GetUtcNow(), ct));
        await ExecuteAsync(dataSource, $"UPDATE probe_status SET agent_version = '0.2.0' WHERE probe_id = '{plan[1][1]}'", ct);
        await runner.RunOnceAsync(ct);
        Assert.Equal(3, await CountAsync(dataSource, "SELECT count(*) FROM probe_commands", ct));
        Assert.True(await rollouts.MoveAsync(rollout.RolloutId, [RolloutStates.Paused], RolloutStates.Running, null, time.GetUtcNow(), ct));
        await runner.RunOnceAsync(ct);
        Assert.Equal(4, await CountAsync(dataSource, "SELECT count(*) FROM probe_commands", ct));

        // The last probe reports it too: completed.
        await ExecuteAsync(dataSource, $"UPDATE probe_status SET agent_version = '0.2.0' WHERE probe_id = '{plan[2][0]}'", ct);
        await runner.RunOnceAsync(ct);
        Assert.Equal(RolloutStates.Completed, (await rollouts.GetAsync(rollout.RolloutId, ct))!.State);
    }

    private static async Task<RolloutView> ViewAsync(RolloutStore rollouts, RolloutProbeStore members, Guid id, TimeProvider time, CancellationToken ct) =>
        RolloutViews.Build((await rollouts.GetAsync(id, ct))!, await members.ListAsync(id, ct), time.GetUtcNow());

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string text, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(text);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> CountAsync(NpgsqlDataSource dataSource, string text, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(text);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
