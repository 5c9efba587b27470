using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Probe.Fleet;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace HaTangSo.Telemetry.Probe.Tests.Upgrade;

/// <summary>The probe's command inbox with <c>upgrade</c> commands (issue 15.5): accepted with a valid version, refused by name otherwise.</summary>
public sealed class CommandInboxUpgradeTests
{
    private const string ProbeId = "ht-upg-01";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Upgrade_WithAVersion_AcceptedWithTheParsedVersionAndDelivered()
    {
        var inbox = Inbox();

        inbox.Offer(Command("upgrade", version: "0.2.0-rc.1", allowDowngrade: true));

        Assert.True(inbox.TryTake(out var command));
        Assert.Equal(CommandKind.Upgrade, command.Kind);
        Assert.Equal(ReleaseVersion.Parse("0.2.0-rc.1"), command.Version);
        Assert.True(command.AllowDowngrade);
        Assert.True(inbox.TryTakeAck(out var ack));
        Assert.Equal(CommandStates.Delivered, ack.State);
    }

    [Fact]
    public void Upgrade_WithoutAVersion_MeansTheLatest()
    {
        var inbox = Inbox();

        inbox.Offer(Command("upgrade"));

        Assert.True(inbox.TryTake(out var command));
        Assert.Null(command.Version);
        Assert.False(command.AllowDowngrade);
    }

    [Theory]
    [InlineData("upgrade", "0.2", "is not a Semantic Version")]
    [InlineData("upgrade", "0.2.0+abc", "is not a Semantic Version")]
    [InlineData("reboot", null, "this probe knows: measure, upgrade")]
    public void BadUpgradeOrUnknownKind_RefusedWithTheReasonAndNothingQueued(string kind, string? version, string reason)
    {
        var inbox = Inbox();

        inbox.Offer(Command(kind, version));

        Assert.False(inbox.TryTake(out _));
        Assert.True(inbox.TryTakeAck(out var ack));
        Assert.Equal(CommandStates.Refused, ack.State);
        Assert.Contains(reason, ack.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcksPublished_WaitEndsWhenThePublisherTookThem_OrAtTheLimit()
    {
        var inbox = new CommandInbox(ProbeId, ["fixed"], null, TimeProvider.System, NullLogger.Instance);
        inbox.Acknowledge(Guid.CreateVersion7(), CommandStates.Done, "installed");

        // Nothing published: the wait gives up at its limit (the broker is away) and says so.
        Assert.False(await inbox.WaitForAcksPublishedAsync(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken));

        Assert.True(inbox.TryTakeAck(out _));
        inbox.Published();
        Assert.True(await inbox.WaitForAcksPublishedAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken));
    }

    private CommandInbox Inbox() => new(ProbeId, ["fixed"], null, _time, NullLogger.Instance);

    private byte[] Command(string kind, string? version = null, bool? allowDowngrade = null) => JsonSerializer.SerializeToUtf8Bytes(new CommandMessage
    {
        CommandId = Guid.CreateVersion7(),
        ProbeId = ProbeId,
        Kind = kind,
        Version = version,
        AllowDowngrade = allowDowngrade,
        IssuedAt = _time.GetUtcNow(),
        ExpiresAt = _time.GetUtcNow().AddHours(1),
    }, ContractsJsonContext.Default.CommandMessage);
}
