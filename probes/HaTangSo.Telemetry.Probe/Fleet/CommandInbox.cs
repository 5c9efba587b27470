using System.Collections.Concurrent;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Probe.Diagnostics;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Fleet;

/// <summary>A command accepted for execution: what to do, for which command id, until when.</summary>
/// <param name="CommandId">The server's id.</param>
/// <param name="Kind">What to do.</param>
/// <param name="Link"><c>measure</c>: the link; null: every link.</param>
/// <param name="ExpiresAt">Not executed after this.</param>
/// <param name="Server"><c>measure</c>: the speed-test server; null: the primary.</param>
/// <param name="Version"><c>upgrade</c>: the release; null: the latest.</param>
/// <param name="AllowDowngrade"><c>upgrade</c>: install even when not newer than the running version.</param>
internal sealed record AcceptedCommand(
    Guid CommandId, CommandKind Kind, string? Link, DateTimeOffset ExpiresAt, string? Server = null, ReleaseVersion? Version = null, bool AllowDowngrade = false);

/// <summary>
/// Commands from the server (<c>hts/v1/probes/{id}/commands</c>). Each is checked (its probe, a kind and link this
/// probe knows, not expired), its id remembered on disk before it is accepted — a redelivery (QoS 1 is at least once)
/// or a repeat never measures twice —, queued for the agent, and acknowledged (<c>delivered</c>, or <c>refused</c> /
/// <c>expired</c> with the reason) on the acks topic.
/// </summary>
internal sealed class CommandInbox
{
    /// <summary>The file of executed command ids, in the queue's directory.</summary>
    public const string FileName = "executed-commands.json";

    /// <summary>Ids remembered: far more than a probe receives within any command's validity (at most a day).</summary>
    public const int Remembered = 512;

    private readonly string _probeId;
    private readonly HashSet<string> _links;
    private readonly string? _path;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<Guid> _executed = [];
    private readonly ConcurrentQueue<AcceptedCommand> _pending = new();
    private readonly ConcurrentQueue<CommandAck> _acks = new();
    private TaskCompletionSource _available = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _unpublished;

    public CommandInbox(string probeId, IEnumerable<string> links, string? directory, TimeProvider time, ILogger logger)
    {
        _probeId = probeId;
        _links = links.ToHashSet(StringComparer.Ordinal);
        _path = directory is null ? null : Path.Combine(directory, FileName);
        _time = time;
        _logger = logger;
        try
        {
            if (_path is not null && File.Exists(_path))
            {
                _executed.AddRange(JsonSerializer.Deserialize(File.ReadAllBytes(_path), ProbeFleetJsonContext.Default.ListGuid) ?? []);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            _logger.PersistedConfigUnusable(_path!, ex.Message);
        }
    }

    /// <summary>Completes when a command is waiting (the agent's wait is cut short).</summary>
    public Task Available
    {
        get
        {
            lock (_lock)
            {
                return _pending.IsEmpty ? _available.Task : Task.CompletedTask;
            }
        }
    }

    /// <summary>The next accepted command, if any.</summary>
    public bool TryTake(out AcceptedCommand command) => _pending.TryDequeue(out command!);

    /// <summary>The next acknowledgement to publish, if any (the publisher drains them).</summary>
    public bool TryTakeAck(out CommandAck ack) => _acks.TryDequeue(out ack!);

    /// <summary>Puts an acknowledgement back at the end (the broker refused it for now).</summary>
    public void Requeue(CommandAck ack) => _acks.Enqueue(ack);

    /// <summary>The publisher's word that the broker took an acknowledgement.</summary>
    public void Published() => Interlocked.Decrement(ref _unpublished);

    /// <summary>
    /// Waits until every acknowledgement made so far is on the broker, or <paramref name="limit"/> passed (the broker is
    /// away): before the probe exits into an upgrade's trial, so the server hears <c>done</c> from the old process.
    /// </summary>
    public async Task<bool> WaitForAcksPublishedAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp();
        while (Volatile.Read(ref _unpublished) > 0)
        {
            if (_time.GetElapsedTime(deadline) >= limit)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, cancellationToken);
        }

        return true;
    }

    /// <summary>Reads a command from the broker; never throws on bad input.</summary>
    public void Offer(ReadOnlySpan<byte> payload)
    {
        CommandMessage? command;
        try
        {
            command = payload.Length > 4096 ? null : JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.CommandMessage);
        }
        catch (JsonException ex)
        {
            _logger.CommandUnreadable(ex.Message);
            return;
        }

        if (command is null || command.Schema != CommandMessage.SchemaName || command.ProbeId != _probeId)
        {
            // Without a command id of ours there is nobody to answer.
            _logger.CommandUnreadable("not a hts.command.v1 message for this probe");
            return;
        }

        lock (_lock)
        {
            if (_executed.Contains(command.CommandId))
            {
                _logger.CommandRepeated(command.CommandId);
                return;
            }

            Remember(command.CommandId);
        }

        ReleaseVersion? version = null;
        if (!CommandKinds.TryParse(command.Kind, out var kind))
        {
            Acknowledge(command.CommandId, CommandStates.Refused, $"unknown command kind '{Clip(command.Kind)}' (this probe knows: {string.Join(", ", CommandKinds.All)})");
        }
        else if (kind == CommandKind.Upgrade && command.Version is not null && !ReleaseVersion.TryParse(command.Version, allowBuildMetadata: false, out version))
        {
            Acknowledge(command.CommandId, CommandStates.Refused, $"version '{Clip(command.Version)}' is not a Semantic Version without build metadata (0.2.0)");
        }
        else if (command.Link is { } link && !_links.Contains(link))
        {
            Acknowledge(command.CommandId, CommandStates.Refused, $"no link '{Clip(link)}' on this probe ({string.Join(", ", _links)})");
        }
        else if (command.ExpiresAt <= _time.GetUtcNow())
        {
            Acknowledge(command.CommandId, CommandStates.Expired, "expired before it arrived");
        }
        else
        {
            _pending.Enqueue(new AcceptedCommand(command.CommandId, kind, command.Link, command.ExpiresAt, command.Server, version, command.AllowDowngrade ?? false));
            Acknowledge(command.CommandId, CommandStates.Delivered, null);
            TaskCompletionSource available;
            lock (_lock)
            {
                available = _available;
                _available = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            available.TrySetResult();
        }
    }

    /// <summary>Queues an acknowledgement for the publisher.</summary>
    public void Acknowledge(Guid commandId, string state, string? reason)
    {
        _logger.CommandAcknowledged(commandId, state, reason ?? string.Empty);
        Interlocked.Increment(ref _unpublished);
        _acks.Enqueue(new CommandAck { CommandId = commandId, ProbeId = _probeId, State = state, Reason = reason, At = _time.GetUtcNow() });
    }

    private void Remember(Guid commandId)
    {
        _executed.Add(commandId);
        if (_executed.Count > Remembered)
        {
            _executed.RemoveRange(0, _executed.Count - Remembered);
        }

        if (_path is null)
        {
            return;
        }

        try
        {
            var temporary = _path + ".tmp";
            File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(_executed, ProbeFleetJsonContext.Default.ListGuid));
            File.Move(temporary, _path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Remembered in memory still: only a restart during its validity could run it twice.
            _logger.PersistedConfigUnusable(_path, ex.Message);
        }
    }

    private static string Clip(string? text) => text is null ? string.Empty : text.Length <= 64 ? text : text[..64] + "…";
}

/// <summary>Source-generated JSON of the probe's fleet files (Native AOT).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(List<Guid>))]
internal sealed partial class ProbeFleetJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
