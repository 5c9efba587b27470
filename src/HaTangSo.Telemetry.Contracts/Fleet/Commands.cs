namespace HaTangSo.Telemetry.Contracts.Fleet;

/// <summary>What a command asks a probe to do. On the wire it is a string (<see cref="CommandKinds"/>), so a probe that does
/// not know a newer kind can still read the command's id and refuse it by name.</summary>
public enum CommandKind
{
    /// <summary><c>measure</c>: test one link (or every link) now, outside the schedule.</summary>
    Measure,

    /// <summary>
    /// <c>upgrade</c>: install a signed release from the probe's enrolled release server (issue 15.5) — the version named,
    /// or the latest — then restart into its trial. The signature with the enrolled key, not the command, decides what is
    /// installed.
    /// </summary>
    Upgrade,
}

/// <summary>The wire names of <see cref="CommandKind"/>.</summary>
public static class CommandKinds
{
    /// <summary>The name of <see cref="CommandKind.Measure"/>.</summary>
    public const string Measure = "measure";

    /// <summary>The name of <see cref="CommandKind.Upgrade"/>.</summary>
    public const string Upgrade = "upgrade";

    /// <summary>Every name this version knows, for messages that list them.</summary>
    public static readonly IReadOnlyList<string> All = [Measure, Upgrade];

    /// <summary>The wire name of <paramref name="kind"/>.</summary>
    public static string Name(CommandKind kind) => kind switch
    {
        CommandKind.Measure => Measure,
        CommandKind.Upgrade => Upgrade,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Reads a wire name (ordinal); false for one this version does not know.</summary>
    public static bool TryParse(string? name, out CommandKind kind)
    {
        switch (name)
        {
            case Measure:
                kind = CommandKind.Measure;
                return true;
            case Upgrade:
                kind = CommandKind.Upgrade;
                return true;
            default:
                kind = default;
                return false;
        }
    }
}

/// <summary>
/// A command <c>hts.command.v1</c> on <c>hts/v1/probes/{probeId}/commands</c> (QoS 1, not retained, with an MQTT 5 message
/// expiry interval equal to <see cref="ExpiresAt"/>). The probe executes an id at most once and acknowledges on
/// <c>hts/v1/probes/{probeId}/acks</c>.
/// </summary>
public sealed record CommandMessage
{
    /// <summary>The schema name every command carries.</summary>
    public const string SchemaName = "hts.command.v1";

    /// <summary>Always <see cref="SchemaName"/>.</summary>
    public string Schema { get; init; } = SchemaName;

    /// <summary>Server-generated id (UUID v7): the result and the acknowledgements name it.</summary>
    public required Guid CommandId { get; init; }

    /// <summary>The probe addressed.</summary>
    public required string ProbeId { get; init; }

    /// <summary>A <see cref="CommandKinds"/> name.</summary>
    public required string Kind { get; init; }

    /// <summary><c>measure</c>: the link to test; null tests every link.</summary>
    public string? Link { get; init; }

    /// <summary>
    /// <c>measure</c>: the speed-test server to measure against, by id — one of the probe's configuration (a confirmation
    /// round names the off-net one, issue 15.3); null: the primary. A probe refuses a server its configuration does not name.
    /// </summary>
    public string? Server { get; init; }

    /// <summary>
    /// <c>upgrade</c>: the release version to install (SemVer, no build metadata); null: the latest the release server
    /// offers for the probe's architecture.
    /// </summary>
    public string? Version { get; init; }

    /// <summary><c>upgrade</c>: install even when the release is not newer than the running version (a deliberate rollback).</summary>
    public bool? AllowDowngrade { get; init; }

    /// <summary>When the server issued it.</summary>
    public required DateTimeOffset IssuedAt { get; init; }

    /// <summary>After this the probe does not execute it (it acknowledges <c>expired</c>).</summary>
    public required DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>Where a command is, as the probe reports it (<see cref="CommandAck.State"/>).</summary>
public static class CommandStates
{
    /// <summary>Created at the server, not yet acknowledged by the probe.</summary>
    public const string Queued = "queued";

    /// <summary>The probe has it and will run it.</summary>
    public const string Delivered = "delivered";

    /// <summary>
    /// The probe ran it: for <c>measure</c> the server sets it when the results carrying the command id are stored; for
    /// <c>upgrade</c> the probe acknowledges it when the release is installed and it restarts into the trial (its status
    /// then reports the trial's outcome).
    /// </summary>
    public const string Done = "done";

    /// <summary>It expired before the probe ran it.</summary>
    public const string Expired = "expired";

    /// <summary>The probe refused it (unknown kind or link, wrong probe); the reason says why.</summary>
    public const string Refused = "refused";

    /// <summary>The probe tried and could not (an internal error); the reason says why.</summary>
    public const string Failed = "failed";

    /// <summary>The states a probe may report.</summary>
    public static readonly IReadOnlyList<string> FromProbe = [Delivered, Done, Expired, Refused, Failed];
}

/// <summary>A probe's acknowledgement <c>hts.ack.v1</c> of a command on <c>hts/v1/probes/{probeId}/acks</c> (QoS 1, not retained).</summary>
public sealed record CommandAck
{
    /// <summary>The schema name every acknowledgement carries.</summary>
    public const string SchemaName = "hts.ack.v1";

    /// <summary>Always <see cref="SchemaName"/>.</summary>
    public string Schema { get; init; } = SchemaName;

    /// <summary>The command.</summary>
    public required Guid CommandId { get; init; }

    /// <summary>The probe (equals the topic's).</summary>
    public required string ProbeId { get; init; }

    /// <summary>One of <see cref="CommandStates.FromProbe"/>.</summary>
    public required string State { get; init; }

    /// <summary>Why it was refused, failed or expired.</summary>
    public string? Reason { get; init; }

    /// <summary>When the probe reached this state.</summary>
    public required DateTimeOffset At { get; init; }
}
