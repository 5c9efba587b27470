using System.Text.Json;
using System.Threading.Channels;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;

namespace HaTangSo.Telemetry.Server.Fleet;

/// <summary>
/// Probes' acknowledgements of commands (<c>hts/v1/probes/{id}/acks</c>), handed over by the ingestion session and
/// recorded here off its receive loop. The topic names the probe (the broker lets a probe write only its own), so a
/// probe can move only its own commands; a malformed acknowledgement is logged and dropped (it changes nothing). The
/// buffer is bounded: a flood drops acknowledgements (counted and logged), never delays results. Refusals are logged
/// like quarantined results (issue 11.5): the first of a probe in a minute with its reason, the rest of that minute as
/// one count, so a probe sending garbage cannot flood the log.
/// </summary>
internal sealed class AckService(CommandStore commands, ILogger<AckService> logger, TimeProvider? time = null) : BackgroundService
{
    /// <summary>Probes whose refusal window is tracked at most (each is a registered probe's topic; a bound all the same).</summary>
    private const int MaxTracked = 10_000;

    private static readonly TimeSpan s_logWindow = TimeSpan.FromMinutes(1);
    // Wait mode, written with TryWrite only (never waits): TryWrite says false when full. In DropWrite mode it says true
    // and drops silently, and the drops were never counted.
    private readonly Channel<(string Topic, byte[] Payload)> _inbox =
        Channel.CreateBounded<(string, byte[])>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private readonly Dictionary<string, (DateTimeOffset Start, long Quiet)> _refusals = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _dropped;

    /// <summary>Refusals counted into a summary instead of logged one by one (all time).</summary>
    internal long RefusalsNotLogged { get; private set; }

    /// <summary>Acknowledgements dropped because the inbox was full (all time).</summary>
    internal long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Takes an acknowledgement from the broker session (never blocks it).</summary>
    public void Post(string topic, byte[] payload)
    {
        if (!_inbox.Writer.TryWrite((topic, payload)))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

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
            _ => (ack with { Reason = Registry.PostgresText.Storable(ack.Reason) }, null),
        };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long droppedLogged = 0;
        await foreach (var (topic, payload) in _inbox.Reader.ReadAllAsync(stoppingToken))
        {
            await HandleAsync(topic, payload, stoppingToken);
            if (Dropped is var dropped && dropped != droppedLogged)
            {
                logger.AcksDropped(dropped - droppedLogged, dropped);
                droppedLogged = dropped;
            }
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
            Refused(topic, problem!);
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
            Refused(topic, ex.Message);
            return AckOutcome.Refused;
        }
    }

    /// <summary>Logs a refusal, or counts it when its probe already had one logged this minute (summarised at the next one after).</summary>
    private void Refused(string topic, string problem)
    {
        var key = Topics.TryParse(topic, out var probeId, out _) ? probeId : "(not a probe topic)";
        var now = _time.GetUtcNow();
        if (_refusals.TryGetValue(key, out var window))
        {
            if (now - window.Start < s_logWindow)
            {
                _refusals[key] = (window.Start, window.Quiet + 1);
                RefusalsNotLogged++;
                return;
            }

            if (window.Quiet > 0)
            {
                logger.AcksRefusedQuietly(key, window.Quiet, window.Start);
            }
        }
        else if (_refusals.Count >= MaxTracked)
        {
            _refusals.Clear();
        }

        _refusals[key] = (now, 0);
        logger.AckRefused(topic, problem);
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
