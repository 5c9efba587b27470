using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests.Fleet;

/// <summary>
/// Hostile status messages (<c>hts.status.v1</c>, with the <c>upgrade</c> block of issue 15.5): every field mutated by
/// the acknowledgements' generator through the server's own parser, and a seeded share of what it accepts through the
/// real upsert on PostgreSQL. Nothing throws; what is accepted is the topic's probe's, with registered values only.
/// </summary>
public sealed class StatusFuzzTests(PostgresFixture postgres)
{
    private const string Own = "status-fuzz-a";

    private static readonly string[] s_fields =
    [
        "schema", "probeId", "state", "at", "agentVersion", "links", "queueDepth", "queueEvicted", "lastResultAt", "lastError",
        "configVersion", "configError", "upgrade", "upgrade.state", "upgrade.from", "upgrade.to", "upgrade.at", "upgrade.detail",
    ];

    [Fact]
    public async Task Parse_100000RandomMutations_NeverThrows_AcceptsOnlyValidUpgrades_AndWhatItAcceptsStores()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = Topics.Status(Own);
        var cases = DocumentFuzzer.Mutations(s_fields).Select(mutate => mutate(Valid()));
        var accepted = new List<AcceptedStatus>();
        var property = Prop.ForAll(Arb.From(cases), payload =>
        {
            var (status, refusal) = ProbeStatusHandler.Parse(payload, Own);
            if (status is null)
            {
                return refusal is { Kind: RefusalKind.InvalidStatus } r && r.Detail.Length > 0;
            }

            if (accepted.Count < 2_000)
            {
                accepted.Add(new AcceptedStatus(new ReceivedMessage(topic, payload, DateTimeOffset.UtcNow, 0, 1), status));
            }

            var upgrade = status.Upgrade;
            return status.ProbeId == Own && status.State is ProbeState.Online or ProbeState.Offline
                && (upgrade is null || (Enum.IsDefined(upgrade.State)
                    && ReleaseVersion.TryParse(upgrade.From, allowBuildMetadata: true, out _) && ReleaseVersion.TryParse(upgrade.To, allowBuildMetadata: true, out _)
                    && (upgrade.Detail?.Length ?? 0) <= ResultLimits.MaxErrorString));
        });

        property.Check(Config.QuickThrowOnFailure.WithMaxTest(100_000).WithQuietOnSuccess(true));
        Assert.True(accepted.Count(a => a.Status.Upgrade is not null) > 100, $"{accepted.Count} accepted, too few with an upgrade");

        // What the parser accepts, PostgreSQL stores: one statement per status (free text with NUL or a lone surrogate too).
        await using var dataSource = NpgsqlDataSource.Create(await postgres.NewDatabaseAsync(ct));
        await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(ct);
        await using (var insert = dataSource.CreateCommand($"INSERT INTO probes (id, commune_code) VALUES ('{Own}', '18409')"))
        {
            await insert.ExecuteNonQueryAsync(ct);
        }

        var handler = new ProbeStatusHandler(dataSource);
        foreach (var status in accepted)
        {
            await handler.UpsertAsync([status], ct);
        }
    }

    private static JsonObject Valid() => new()
    {
        ["schema"] = StatusMessage.SchemaName,
        ["probeId"] = Own,
        ["state"] = ProbeState.Online,
        ["at"] = "2026-11-30T02:05:00Z",
        ["agentVersion"] = "0.2.0",
        ["queueDepth"] = 0,
        ["queueEvicted"] = 0,
        ["configVersion"] = 7,
        ["upgrade"] = new JsonObject
        {
            ["state"] = "confirmed", ["from"] = "0.1.0", ["to"] = "0.2.0", ["at"] = "2026-11-30T02:03:40Z", ["detail"] = "self-test and broker login passed",
        },
    };
}
