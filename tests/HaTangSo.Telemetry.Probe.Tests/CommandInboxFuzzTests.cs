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
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.Probe.Tests;

/// <summary>
/// Whatever arrives on the probe's command topic, <see cref="CommandInbox.Offer"/> never throws; it accepts a command
/// only when it is exactly valid for this probe (its id, a kind it knows, one of its links, a version it can read, not
/// expired, not seen before), once; it answers every command of this probe that carries an id with one
/// acknowledgement whose reason is short and names what was wrong, and answers nothing that is not for it. Commands are
/// made valid, then damaged by <see cref="DocumentFuzzer.Mutations"/> (the generator of every probe document's fuzz
/// tests): 20,000 cases, each offered twice and followed by the one before it again (QoS 1 redelivers), then the last
/// ids offered afresh to a restarted inbox.
/// </summary>
public sealed class CommandInboxFuzzTests
{
    private const string Own = "ht-fuzz-01";
    private static readonly string[] s_links = ["fixed", "mobile"];
    private static readonly string[] s_fields = ["schema", "commandId", "probeId", "kind", "link", "server", "version", "allowDowngrade", "issuedAt", "expiresAt"];
    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Offer_AnyPayload_NeverThrowsAcceptsOnlyValidCommandsOnceAndAnswersOnlyItsOwn()
    {
        var time = new FakeTimeProvider(s_now);
        var directory = Directory.CreateTempSubdirectory("hts-inbox-fuzz-");
        try
        {
            var inbox = new CommandInbox(Own, s_links, directory.FullName, time, NullLogger.Instance);
            var cases = Cases().Sample(20_000, new Rnd(20261130), 30);
            var answered = new List<Guid>();
            var counts = new Dictionary<string, int>();
            byte[]? previous = null;
            foreach (var payload in cases)
            {
                var expected = Expected(payload);

                // QoS 1 redelivers: the same message twice, and the one before it again.
                inbox.Offer(payload);
                inbox.Offer(payload);
                if (previous is not null)
                {
                    inbox.Offer(previous);
                }

                previous = payload;
                var acks = Drain(inbox, out var commands);
                Assert.All(acks, ack => Assert.Equal(Own, ack.ProbeId));
                Assert.All(acks, ack => Assert.True((ack.Reason?.Length ?? 0) <= 400, $"a long reason: {ack.Reason?.Length} characters"));
                if (expected is not { } command || answered.TakeLast(CommandInbox.Remembered).Contains(command.CommandId))
                {
                    // Not a command of this probe, or one answered among the last ids it remembers: no acknowledgement, nothing to run.
                    Check(acks.Count == 0, () => Describe("answered", payload, acks));
                    Assert.Empty(commands);
                    Count(counts, expected is null ? "not ours" : "repeat");
                    continue;
                }

                answered.Add(command.CommandId);
                var ack = Assert.Single(acks);
                Assert.Equal(command.CommandId, ack.CommandId);
                Check(command.State == ack.State, () => Describe($"expected {command.State}", payload, acks));
                if (command.State == CommandStates.Delivered)
                {
                    var run = Assert.Single(commands);
                    Assert.Equal(command.CommandId, run.CommandId);
                    Assert.Contains(run.Link ?? "fixed", s_links);
                    Assert.True(run.ExpiresAt > time.GetUtcNow());
                }
                else
                {
                    Assert.Empty(commands);
                    Check(!string.IsNullOrEmpty(ack.Reason), () => Describe("no reason", payload, acks));
                }

                Count(counts, ack.State);
            }

            // Every kind of outcome was reached (the generator is not stuck on one path).
            Assert.All(new[] { "not ours", "repeat", CommandStates.Delivered, CommandStates.Refused, CommandStates.Expired },
                outcome => Assert.True(counts.GetValueOrDefault(outcome) > 50, $"{outcome}: {counts.GetValueOrDefault(outcome)}"));

            // The ids are remembered on disk: a restarted probe runs none of the last ones again, however valid.
            var restarted = new CommandInbox(Own, s_links, directory.FullName, time, NullLogger.Instance);
            foreach (var id in answered.TakeLast(CommandInbox.Remembered))
            {
                restarted.Offer(JsonSerializer.SerializeToUtf8Bytes(new CommandMessage
                {
                    CommandId = id, ProbeId = Own, Kind = CommandKinds.Measure, IssuedAt = s_now, ExpiresAt = s_now.AddHours(1),
                }, ContractsJsonContext.Default.CommandMessage));
            }

            Assert.Empty(Drain(restarted, out var rerun));
            Assert.Empty(rerun);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>What the inbox must do with <paramref name="payload"/>, worked out independently: null when it is not a readable command of this probe.</summary>
    private static (Guid CommandId, string State)? Expected(byte[] payload)
    {
        CommandMessage? command;
        try
        {
            command = payload.Length > 4096 ? null : JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.CommandMessage);
        }
        catch (JsonException)
        {
            return null;
        }

        if (command is null || command.Schema != CommandMessage.SchemaName || command.ProbeId != Own)
        {
            return null;
        }

        var valid = command.Kind is CommandKinds.Measure or CommandKinds.Upgrade
                    && (command.Kind != CommandKinds.Upgrade || command.Version is null || Contracts.Releases.ReleaseVersion.TryParse(command.Version, allowBuildMetadata: false, out _))
                    && (command.Link is null || s_links.Contains(command.Link));
        return (command.CommandId, !valid ? CommandStates.Refused : command.ExpiresAt <= s_now ? CommandStates.Expired : CommandStates.Delivered);
    }

    private static List<CommandAck> Drain(CommandInbox inbox, out List<AcceptedCommand> commands)
    {
        commands = [];
        while (inbox.TryTake(out var command))
        {
            commands.Add(command);
        }

        var acks = new List<CommandAck>();
        while (inbox.TryTakeAck(out var ack))
        {
            acks.Add(ack);
            inbox.Published();
        }

        return acks;
    }

    private static Gen<byte[]> Cases()
    {
        // One id in ten from a small set, so that a later case repeats an earlier one.
        var ids = Gen.Frequency(
            (9, Gen.Choose(0, int.MaxValue).Select(n => new Guid(n, 7, 7, 0, 0, 0, 0, 0, 0, 0, 2))),
            (1, Gen.Choose(0, 100).Select(n => new Guid(n, 7, 7, 0, 0, 0, 0, 0, 0, 0, 1))));
        var valid = from id in ids
                    from probe in Gen.Frequency((8, Gen.Constant(Own)), (1, Gen.Constant("ht-other-01")), (1, Gen.Constant(Own.ToUpperInvariant())))
                    from kind in Gen.Frequency((6, Gen.Constant(CommandKinds.Measure)), (3, Gen.Constant(CommandKinds.Upgrade)), (1, Gen.Elements("reboot", "Measure", "")))
                    from link in Gen.Frequency((3, Gen.Constant<string?>(null)), (6, Gen.Elements<string?>(s_links)), (1, Gen.Constant<string?>("wifi")))
                    from version in Gen.Frequency((3, Gen.Constant<string?>(null)), (3, Gen.Elements<string?>("0.2.0", "1.0.0-rc.1")), (1, Gen.Elements<string?>("0.2", "1.0.0+build", "v1.0.0")))
                    from expiresInMinutes in Gen.Frequency((8, Gen.Choose(1, 1440)), (1, Gen.Choose(-60, 0)))
                    select new JsonObject
                    {
                        ["schema"] = CommandMessage.SchemaName,
                        ["commandId"] = id.ToString(),
                        ["probeId"] = probe,
                        ["kind"] = kind,
                        ["link"] = link,
                        ["server"] = "ht-dc-1",
                        ["version"] = kind == CommandKinds.Upgrade ? version : null,
                        ["issuedAt"] = s_now.AddMinutes(-1).ToString("O"),
                        ["expiresAt"] = s_now.AddMinutes(expiresInMinutes).ToString("O"),
                    };
        return from command in valid
               from mutation in DocumentFuzzer.Mutations(s_fields)
               select mutation(command);
    }

    private static void Count(Dictionary<string, int> counts, string outcome) => counts[outcome] = counts.GetValueOrDefault(outcome) + 1;

    // The failure text is made only for a failure (20,000 cases).
    private static void Check(bool condition, Func<string> failure)
    {
        if (!condition)
        {
            Assert.Fail(failure());
        }
    }

    private static string Describe(string what, byte[] payload, IEnumerable<CommandAck> acks)
    {
        var text = Encoding.UTF8.GetString(payload);
        return $"{what}: {text[..Math.Min(text.Length, 600)]} → {string.Join("; ", acks.Select(a => $"{a.State} {a.Reason}"))}";
    }
}
