using System.Text.Json;
using System.Threading.Channels;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;

namespace HaTangSo.Telemetry.Server.Fleet;

/// <summary>
/// Probes' acknowledgements of commands (<c>hts/v1/probes/{id}/acks</c>), handed over by the ingestion session and
/// recorded here off its receive loop. The topic names the probe (the broker lets a probe write only its own), so a
/// probe can move only its own commands; a malformed acknowledgement is logged and dropped (it changes nothing). The
/// buffer is bounded: a flood drops acknowledgements, never delays results.
/// </summary>
internal sealed class AckService(CommandStore commands, ILogger<AckService> logger) : BackgroundService
{
    private readonly Channel<(string Topic, byte[] Payload)> _inbox =
        Channel.CreateBounded<(string, byte[])>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Takes an acknowledgement from the broker session (never blocks it).</summary>
    public void Post(string topic, byte[] payload) => _inbox.Writer.TryWrite((topic, payload));

    /// <summary>The acknowledgement in <paramref name="payload"/> if it is a valid one of the topic's probe; otherwise why not.</summary>
    internal static (CommandAck? Ack, string? Problem) Parse(string topic, ReadOnlySpan<byte> payload)
    {
        if (!Topics.TryParse(topic, out var probeId, out var kind) || kind != "acks")
        {
            return (null, "not an acks topic");
        }

        if (payload.Length > 4096)
        {
            return (null, "larger than 4 KiB");
        }

        CommandAck? ack;
        try
        {
            ack = JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.CommandAck);
        }
        catch (JsonException ex)
        {
            return (null, "not a hts.ack.v1 document: " + ex.Message);
        }

        return ack switch
        {
            null => (null, "null"),
            { Schema: not CommandAck.SchemaName } => (null, $"schema must be '{CommandAck.SchemaName}'"),
            _ when ack.ProbeId != probeId => (null, "probeId differs from the topic"),
            // done is taken only for an upgrade (the store checks the command's kind): a measurement is done by its results.
            _ when !CommandStates.FromProbe.Contains(ack.State) => (null, "state must be delivered, done, refused, expired or failed"),
            { Reason.Length: > ResultLimits.MaxErrorString } => (null, "reason too long"),
            _ => (ack with { Reason = Storable(ack.Reason) }, null),
        };
    }

    // PostgreSQL text holds neither NUL nor a lone surrogate (a JSON escape can carry both): each becomes U+FFFD, so a
    // free-text reason cannot make a valid acknowledgement unstorable.
    private static string? Storable(string? reason) =>
        reason is null ? null : System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(reason)).Replace('\0', '\uFFFD');

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (topic, payload) in _inbox.Reader.ReadAllAsync(stoppingToken))
        {
            await HandleAsync(topic, payload, stoppingToken);
        }
    }

    /// <summary>
    /// One acknowledgement, start to end: the per-message boundary. Nothing thrown by one message leaves it (only the host
    /// stopping does); each ends recorded, unchanged (valid, but it moves nothing: late, repeated or not this probe's) or
    /// refused (logged with the reason).
    /// </summary>
    internal async Task<AckOutcome> HandleAsync(string topic, byte[] payload, CancellationToken stoppingToken)
    {
        CommandAck? ack;
        string? problem;
        try
        {
            (ack, problem) = Parse(topic, payload);
        }
        catch (Exception ex)
        {
            // Parse refuses what it knows is wrong; anything it did not foresee is refused here, not thrown at the host.
            (ack, problem) = (null, $"{ex.GetType().Name}: {ex.Message}");
        }

        if (ack is null)
        {
            logger.AckRefused(topic, problem!);
            return AckOutcome.Refused;
        }

        try
        {
            if (await commands.AcknowledgeAsync(ack.ProbeId, ack.CommandId, ack.State, ack.Reason, stoppingToken))
            {
                logger.CommandState(ack.CommandId, ack.ProbeId, ack.State);
                return AckOutcome.Recorded;
            }

            return AckOutcome.Unchanged;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // PostgreSQL away: this acknowledgement is lost; the command's result still makes it done.
            logger.AckRefused(topic, ex.Message);
            return AckOutcome.Refused;
        }
    }
}

/// <summary>What became of one acknowledgement (<see cref="AckService.HandleAsync"/>).</summary>
internal enum AckOutcome
{
    /// <summary>It moved its command forward.</summary>
    Recorded,

    /// <summary>Valid, but it moved nothing: a late or repeated state, or no such command of this probe.</summary>
    Unchanged,

    /// <summary>Refused (malformed, not the topic's probe, a state a probe may not report) or not recorded (PostgreSQL away); logged.</summary>
    Refused,
}
