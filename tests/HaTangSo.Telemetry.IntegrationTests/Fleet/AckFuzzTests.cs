using FsCheck;
using FsCheck.Fluent;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Server.Fleet;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests.Fleet;

/// <summary>
/// Property-based (FsCheck): hostile acknowledgements (<c>hts/v1/probes/{id}/acks</c>) and command claims. The parsing
/// boundary takes 100,000 random mutations in memory; the whole per-message path of <see cref="AckService"/> (parse,
/// then the real <see cref="CommandStore"/> on PostgreSQL) takes 5,000 seeded ones, a database round trip each, with
/// every command's state read before and after. A command moves only forward, only by its own probe's topic, and every
/// acknowledgement that moves nothing is accounted for.
/// </summary>
public sealed class AckFuzzTests(PostgresFixture postgres)
{
    private const string Own = "ack-fuzz-a";
    private const string Other = "ack-fuzz-b";

    // Forward moves an acknowledgement may make on these (measure) commands: done comes only from their results (a
    // probe's done moves only an upgrade command, which the store checks by kind).
    private static readonly HashSet<(string, string)> s_forward =
    [
        (CommandStates.Queued, CommandStates.Delivered),
        (CommandStates.Queued, CommandStates.Refused), (CommandStates.Queued, CommandStates.Expired), (CommandStates.Queued, CommandStates.Failed),
        (CommandStates.Delivered, CommandStates.Refused), (CommandStates.Delivered, CommandStates.Expired), (CommandStates.Delivered, CommandStates.Failed),
    ];

    private static readonly Guid[] s_ownCommands = [.. Enumerable.Range(1, 8).Select(i => new Guid(i, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0xA))];
    private static readonly Guid[] s_otherCommands = [.. Enumerable.Range(1, 8).Select(i => new Guid(i, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0xB))];

    [Fact]
    public void Parse_100000RandomMutations_NeverThrows_AcceptsOnlyTheTopicsProbeWithAStateAProbeMayReport()
    {
        var accepted = 0;
        var problems = new Dictionary<string, int>(StringComparer.Ordinal);
        var property = Prop.ForAll(Arb.From(AckFuzzer.Cases(Own, Other, s_ownCommands, s_otherCommands)), c =>
        {
            // An exception here fails the property with the case (FsCheck prints it and the seed that replays it).
            var (ack, problem) = AckService.Parse(c.Topic, c.Payload);
            if (ack is null)
            {
                var key = problem is null ? "(none)" : problem.Split(':')[0];
                problems[key] = problems.GetValueOrDefault(key) + 1;
                return problem is { Length: > 0 };
            }

            accepted++;
            return Topics.TryParse(c.Topic, out var probe, out var kind) && kind == "acks" && ack.ProbeId == probe
                && ack.Schema == CommandAck.SchemaName
                && ack.State is CommandStates.Delivered or CommandStates.Done or CommandStates.Refused or CommandStates.Expired or CommandStates.Failed
                && Storable(ack.Reason);
        });

        property.Check(Config.QuickThrowOnFailure.WithMaxTest(100_000).WithQuietOnSuccess(true));

        // The generator reaches both sides and many different refusals.
        var seen = string.Join(", ", problems.Select(p => $"{p.Key} {p.Value}"));
        Assert.True(accepted > 10_000, $"only {accepted} acknowledgements were accepted ({seen})");
        Assert.True(problems.Count >= 7, "refusals seen: " + seen);
    }

    [Fact]
    public async Task HandleAsync_5000SeededMutationsOnPostgres_OnlyTheTopicsProbesCommandsMove_OnlyForward_EachAccountedFor()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dataSource = await CommandsAsync(ct);
        var store = new CommandStore(dataSource);
        var logger = new FakeLogger<AckService>();
        using var service = new AckService(store, logger);
        var cases = AckFuzzer.Cases(Own, Other, s_ownCommands, s_otherCommands).Sample(5_000, new Rnd(20261130), 30);

        var outcomes = new Dictionary<AckOutcome, int>();
        var moved = new Dictionary<(string, string), int>();
        for (var i = 0; i < cases.Length; i++)
        {
            // Every 20 acknowledgements the commands start again, so moves keep happening.
            if (i % 20 == 0)
            {
                await ResetAsync(dataSource, ct);
            }

            var c = cases[i];
            var before = await StatesAsync(dataSource, ct);
            var outcome = await service.HandleAsync(c.Topic, c.Payload, ct);
            var after = await StatesAsync(dataSource, ct);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;

            var context = $"case {i}: {c}";
            var changed = after.Where(a => before[a.Key] != a.Value).ToList();
            Assert.True(changed.Count == (outcome == AckOutcome.Recorded ? 1 : 0), $"{outcome} changed {changed.Count} commands ({context})");
            foreach (var (id, state) in changed)
            {
                var (probe, was, expired) = (before[id].Probe, before[id].State, before[id].Expired);
                Assert.True(Topics.TryParse(c.Topic, out var topicProbe, out _) && probe == topicProbe, $"{probe}'s command moved by {c.Topic} ({context})");
                Assert.True(s_forward.Contains((was, state.State)), $"{was} -> {state.State} is not forward ({context})");
                Assert.True(!expired || state.State == CommandStates.Expired, $"a command past its expiry became {state.State} ({context})");
                moved[(was, state.State)] = moved.GetValueOrDefault((was, state.State)) + 1;
            }
        }

        // Every acknowledgement that changed nothing is either refused and logged, or a valid one with nothing to move.
        var summary = string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}")) + "; moves: " + string.Join(", ", moved.Select(m => $"{m.Key} {m.Value}"));
        Assert.Equal(cases.Length, outcomes.Values.Sum());
        // Every refusal is accounted for: logged with its reason (the first of a probe in a minute) or counted for the summary.
        Assert.Equal(outcomes.GetValueOrDefault(AckOutcome.Refused), logger.Collector.GetSnapshot().Count(r => r.Id.Id == 3759) + service.RefusalsNotLogged);
        Assert.True(service.RefusalsNotLogged > 0);
        Assert.Equal(outcomes.GetValueOrDefault(AckOutcome.Recorded), logger.Collector.GetSnapshot().Count(r => r.Id.Id == 3758));
        Assert.True(outcomes.GetValueOrDefault(AckOutcome.Recorded) > 250 && outcomes.GetValueOrDefault(AckOutcome.Unchanged) > 250, summary);
        Assert.Equal(s_forward.Count, moved.Count);
    }

    [Fact]
    public async Task CommandClaims_RandomProbesAndIds_OwnedOnlyByTheProbeIssued_AndAResultNeverMovesAnothersCommand()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dataSource = await CommandsAsync(ct);
        var store = new CommandStore(dataSource);
        var claims = (from probe in Gen.Elements(Own, Other, "ht-nobody-01")
                      from command in Gen.Frequency((4, Gen.Elements(s_ownCommands)), (4, Gen.Elements(s_otherCommands)), (1, Gen.Constant(Guid.Empty)))
                      from result in Gen.Choose(0, 1_000_000)
                      select (Probe: probe, Command: command, Result: $"00000000-0000-4000-8000-{result:D12}"))
            .Sample(400, new Rnd(15), 30);

        // The gate before InfluxDB: a claim counts only when the command was issued to the probe that claims it.
        var owned = await store.OwnedAsync([.. claims.Select(c => (c.Command, c.Probe))], ct);
        foreach (var (probe, command, _) in claims)
        {
            var issuedTo = s_ownCommands.Contains(command) ? Own : s_otherCommands.Contains(command) ? Other : null;
            Assert.Equal(issuedTo == probe, owned.Contains((command, probe)));
        }

        // The step after InfluxDB, even if a foreign claim got there: it moves only the claiming probe's own commands.
        foreach (var (probe, command, result) in claims)
        {
            var before = await StatesAsync(dataSource, ct);
            await store.ResultStoredAsync(probe, command, result, ct);
            var after = await StatesAsync(dataSource, ct);
            Assert.All(after.Where(a => a.Value != before[a.Key]), a => Assert.Equal(probe, a.Value.Probe));
        }

        Assert.Contains((await StatesAsync(dataSource, ct)).Values, s => s.State == CommandStates.Done);
    }

    /// <summary>
    /// A flood beyond the inbox (1,000) is dropped at the door, never waited for: the broker session is not held. The
    /// drops are counted and logged once as a sum when the service next takes a message; what was taken is handled.
    /// </summary>
    [Fact]
    public async Task Post_FloodBeyondTheInbox_DropsTheRestCountsAndLogsThem_HandlesWhatItTook()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dataSource = await CommandsAsync(ct);
        var logger = new FakeLogger<AckService>();
        using var service = new AckService(new CommandStore(dataSource), logger);
        var ack = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new CommandAck
        {
            CommandId = s_ownCommands[0], ProbeId = Own, State = CommandStates.Refused, Reason = "busy", At = DateTimeOffset.UtcNow,
        }, ContractsJsonContext.Default.CommandAck);

        // Not started yet: nothing is taken out while the flood comes in.
        for (var i = 0; i < 1_500; i++)
        {
            service.Post(Topics.Acks(Own), ack);
        }

        Assert.Equal(500, service.Dropped);
        await service.StartAsync(ct);
        try
        {
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (!logger.Collector.GetSnapshot().Any(r => r.Id.Id == 3781) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, ct);
            }
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }

        var summary = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 3781);
        Assert.Contains("500 acknowledgement(s) dropped", summary.Message, StringComparison.Ordinal);
        Assert.Equal(CommandStates.Refused, (await StatesAsync(dataSource, ct))[s_ownCommands[0]].State);
    }

    [Fact]
    public async Task ResultStored_MovesOnlyAMeasureCommandTheProbeMayStillAnswer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dataSource = await CommandsAsync(ct);
        var store = new CommandStore(dataSource);
        (Guid Id, string State, string Kind, string After)[] cases =
        [
            (s_ownCommands[0], CommandStates.Queued, CommandKinds.Measure, CommandStates.Done),
            (s_ownCommands[1], CommandStates.Delivered, CommandKinds.Measure, CommandStates.Done),
            (s_ownCommands[2], CommandStates.Expired, CommandKinds.Measure, CommandStates.Done), // measured in time, arrived late
            (s_ownCommands[3], CommandStates.Refused, CommandKinds.Measure, CommandStates.Refused),
            (s_ownCommands[4], CommandStates.Failed, CommandKinds.Measure, CommandStates.Failed),
            (s_ownCommands[5], CommandStates.Delivered, CommandKinds.Upgrade, CommandStates.Delivered),
        ];
        foreach (var (id, state, kind, _) in cases)
        {
            await using var set = dataSource.CreateCommand("UPDATE probe_commands SET state = $2, kind = $3 WHERE id = $1");
            set.Parameters.Add(new() { Value = id });
            set.Parameters.Add(new() { Value = state });
            set.Parameters.Add(new() { Value = kind });
            await set.ExecuteNonQueryAsync(ct);
        }

        foreach (var (id, _, _, _) in cases)
        {
            await store.ResultStoredAsync(Own, id, "00000000-0000-4000-8000-" + id.ToString("N")[..12], ct);
        }

        var states = await StatesAsync(dataSource, ct);
        Assert.All(cases, c => Assert.Equal((c.Id, c.After), (c.Id, states[c.Id].State)));
    }

    // A reason PostgreSQL text can hold: no NUL, no lone surrogate, within the contract's length.
    private static bool Storable(string? reason)
    {
        if (reason is null)
        {
            return true;
        }

        try
        {
            _ = new System.Text.UTF8Encoding(false, true).GetBytes(reason);
            return !reason.Contains('\0', StringComparison.Ordinal) && reason.Length <= ResultLimits.MaxErrorString;
        }
        catch (System.Text.EncoderFallbackException)
        {
            return false;
        }
    }

    // A migrated database with the two probes and their commands: six live, two past their expiry, each.
    private async Task<NpgsqlDataSource> CommandsAsync(CancellationToken ct)
    {
        var dataSource = NpgsqlDataSource.Create(await postgres.NewDatabaseAsync(ct));
        await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(ct);
        await using (var insert = dataSource.CreateCommand($"INSERT INTO probes (id, commune_code) VALUES ('{Own}', '18409'), ('{Other}', '18409')"))
        {
            await insert.ExecuteNonQueryAsync(ct);
        }

        var store = new CommandStore(dataSource);
        var now = DateTimeOffset.UtcNow;
        foreach (var (probe, ids) in new[] { (Own, s_ownCommands), (Other, s_otherCommands) })
        {
            for (var i = 0; i < ids.Length; i++)
            {
                await store.AddAsync(
                    new CommandRecord(ids[i], probe, CommandKinds.Measure, "fixed", CommandStates.Queued, null, [], 1, now.AddMinutes(-5),
                        i < 6 ? now.AddDays(1) : now.AddMinutes(-1), null, null, null),
                    ct);
            }
        }

        return dataSource;
    }

    // Back to the start: most queued, one of each probe's live commands delivered, one done.
    private static async Task ResetAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var reset = dataSource.CreateCommand("""
            UPDATE probe_commands SET reason = NULL, delivered_at = NULL, finished_at = NULL,
                state = CASE WHEN id IN ($1, $3) THEN 'delivered' WHEN id IN ($2, $4) THEN 'done' ELSE 'queued' END
            """);
        foreach (var id in new[] { s_ownCommands[0], s_ownCommands[1], s_otherCommands[0], s_otherCommands[1] })
        {
            reset.Parameters.Add(new() { Value = id });
        }

        await reset.ExecuteNonQueryAsync(ct);
    }

    // The stored state of each command, its probe, and whether it is past its expiry.
    private static async Task<Dictionary<Guid, (string Probe, string State, bool Expired)>> StatesAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var states = new Dictionary<Guid, (string, string, bool)>();
        await using var select = dataSource.CreateCommand("SELECT id, probe_id, state, expires_at <= now() FROM probe_commands");
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            states[reader.GetGuid(0)] = (reader.GetString(1), reader.GetString(2), reader.GetBoolean(3));
        }

        return states;
    }
}
