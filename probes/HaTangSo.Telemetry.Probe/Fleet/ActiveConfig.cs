using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Probe.Diagnostics;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Fleet;

/// <summary>What <see cref="ActiveConfig.Offer"/> did with a configuration.</summary>
internal enum ConfigOutcome
{
    /// <summary>Applied (and persisted): the agent measures with it from its next test.</summary>
    Applied,

    /// <summary>The version already applied (a redelivery, the retained copy on reconnect): nothing to do.</summary>
    Unchanged,

    /// <summary>Refused; the last good one stays and the status says why.</summary>
    Refused,
}

/// <summary>
/// The measurement configuration the probe runs. A configuration from the registry is checked with the contract's rules
/// (<see cref="MeasurementConfigRules"/>) — hostile or broken input is refused, never half-applied —, written to
/// <c>measurement-config.json</c> next to the queue (temporary file, then an atomic rename), and swapped in as one
/// <see cref="MeasurementPlan"/>; the agent picks it up without a restart. On start-up the persisted one is used before
/// the broker is reachable; without one, the measurement keys of <c>probe.json</c> are (version 0).
/// </summary>
internal sealed class ActiveConfig
{
    /// <summary>The file name of the persisted configuration, in the queue's directory.</summary>
    public const string FileName = "measurement-config.json";

    /// <summary>Largest configuration accepted (a valid one is well under 2 KiB).</summary>
    public const int MaxBytes = 16 * 1024;

    private readonly string _probeId;
    private readonly string? _path;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private MeasurementPlan? _plan;
    private string? _refusal;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ActiveConfig(string probeId, MeasurementPlan? local, string? directory, ILogger logger)
    {
        _probeId = probeId;
        _logger = logger;
        _path = directory is null ? null : Path.Combine(directory, FileName);
        _plan = local;
        if (_path is not null && File.Exists(_path))
        {
            try
            {
                if (Check(File.ReadAllBytes(_path), out var config) is { } problem)
                {
                    _logger.PersistedConfigUnusable(_path, problem);
                }
                else
                {
                    _plan = MeasurementPlan.FromRegistry(config!);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.PersistedConfigUnusable(_path, ex.Message);
            }
        }
    }

    /// <summary>The plan in force; null until a configuration with a server is known.</summary>
    public MeasurementPlan? Plan
    {
        get
        {
            lock (_lock)
            {
                return _plan;
            }
        }
    }

    /// <summary>Why the last configuration received was refused; null once one is applied.</summary>
    public string? Refusal
    {
        get
        {
            lock (_lock)
            {
                return _refusal;
            }
        }
    }

    /// <summary>Completes at the next change of <see cref="Plan"/>.</summary>
    public Task Changed
    {
        get
        {
            lock (_lock)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>Checks and, when valid and newer, applies <paramref name="payload"/> (a <c>hts.config.v1</c> message). Never throws on bad input.</summary>
    public ConfigOutcome Offer(ReadOnlySpan<byte> payload)
    {
        if (Check(payload, out var config) is { } problem)
        {
            return Refuse(problem);
        }

        lock (_lock)
        {
            if (_plan is { Version: > 0 } current && config!.Version <= current.Version)
            {
                if (config.Version == current.Version)
                {
                    return ConfigOutcome.Unchanged;
                }

                // An older version (a stale retained copy from another server instance) must not undo a newer one.
                return RefuseLocked($"version {config.Version} is older than the applied version {current.Version}");
            }
        }

        try
        {
            Persist(payload);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Applied in memory would be lost at the next restart, silently: refuse it so the status shows why.
            return Refuse("cannot persist it: " + ex.Message);
        }

        var plan = MeasurementPlan.FromRegistry(config!);
        TaskCompletionSource changed;
        lock (_lock)
        {
            _plan = plan;
            _refusal = null;
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _logger.ConfigApplied(plan.Version, (int)plan.Schedule.TotalMinutes, plan.ServerId);
        changed.TrySetResult();
        return ConfigOutcome.Applied;
    }

    /// <summary>Null when <paramref name="payload"/> is a configuration this probe may apply; otherwise why not.</summary>
    private string? Check(ReadOnlySpan<byte> payload, out MeasurementConfig? config)
    {
        config = null;
        if (payload.Length > MaxBytes)
        {
            return $"larger than {MaxBytes} bytes";
        }

        try
        {
            config = JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.MeasurementConfig);
        }
        catch (JsonException ex)
        {
            return "not a hts.config.v1 document: " + ex.Message;
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or ArgumentException or FormatException or OverflowException)
        {
            // System.Text.Json wraps most of these in JsonException; what it does not is still the input's fault.
            return "not a hts.config.v1 document: " + ex.Message;
        }

        var problems = MeasurementConfigRules.Validate(config, _probeId);
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private ConfigOutcome Refuse(string problem)
    {
        lock (_lock)
        {
            return RefuseLocked(problem);
        }
    }

    private ConfigOutcome RefuseLocked(string problem)
    {
        var reason = "configuration refused: " + problem;
        _refusal = reason.Length <= ResultLimits.MaxErrorString ? reason : reason[..(ResultLimits.MaxErrorString - 1)] + "…";
        _logger.ConfigRefused(_plan?.Version ?? 0, problem.Length <= 300 ? problem : problem[..300]);
        return ConfigOutcome.Refused;
    }

    private void Persist(ReadOnlySpan<byte> payload)
    {
        if (_path is null)
        {
            return;
        }

        var temporary = _path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(payload);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
    }
}
