using System.Globalization;
using System.Text;
using HaTangSo.Telemetry.Server.Diagnostics;
using HaTangSo.Telemetry.Server.Ingestion;

namespace HaTangSo.Telemetry.Server.Quarantine;

/// <summary>
/// Logs quarantined messages without letting a flood flood the log: the first refusal of a probe in a minute is logged
/// at once (with its reason), the rest of that minute are counted by kind and logged as one summary line when the
/// minute is over. Keyed by registered probe (every unregistered topic shares one key), so memory is bounded by the
/// registry; a window is dropped once summarised. Called from the batches in flight (at most two at once).
/// </summary>
internal sealed class QuarantineLog(TimeProvider timeProvider, ILogger<QuarantineLog> logger)
{
    /// <summary>The key of refusals whose topic names no registered probe.</summary>
    public const string Unregistered = "(unregistered)";

    private static readonly TimeSpan s_window = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);

    // Two batches may be in flight (BatchTurn): one records while the other flushes.
    private readonly Lock _lock = new();

    /// <summary>Probes with an open window.</summary>
    public int Tracked
    {
        get
        {
            lock (_lock)
            {
                return _windows.Count;
            }
        }
    }

    /// <summary>Records <paramref name="count"/> refusals of one kind for a registered probe (or null).</summary>
    public void Record(string? registeredProbeId, Refusal refusal, long count = 1)
    {
        var key = registeredProbeId ?? Unregistered;
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            RecordLocked(key, now, refusal, count);
        }
    }

    private void RecordLocked(string key, DateTimeOffset now, Refusal refusal, long count)
    {
        if (_windows.TryGetValue(key, out var window) && now - window.Start >= s_window)
        {
            Summarise(key, window);
            _windows.Remove(key);
            window = null;
        }

        if (window is null)
        {
            _windows[key] = new Window(now);
            logger.MessageQuarantined(key, refusal.Kind.Label(), refusal.Detail, count);
            return;
        }

        window.Counts[(int)refusal.Kind] += count;
        window.Latest = refusal;
    }

    /// <summary>Logs and drops every window whose minute is over (the batch writer calls this when idle too).</summary>
    public void Flush()
    {
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            foreach (var (key, window) in _windows)
            {
                if (now - window.Start >= s_window)
                {
                    Summarise(key, window);
                    _windows.Remove(key);
                }
            }
        }
    }

    private void Summarise(string key, Window window)
    {
        var total = window.Counts.Sum();
        if (total == 0)
        {
            return;
        }

        var kinds = new StringBuilder();
        for (var i = 0; i < window.Counts.Length; i++)
        {
            if (window.Counts[i] > 0)
            {
                kinds.Append(kinds.Length == 0 ? string.Empty : ", ").Append(((RefusalKind)i).Label()).Append(' ')
                    .Append(window.Counts[i].ToString("N0", CultureInfo.InvariantCulture));
            }
        }

        logger.MessagesQuarantinedSummary(key, total, window.Start, kinds.ToString(), window.Latest.Detail);
    }

    private sealed class Window(DateTimeOffset start)
    {
        public DateTimeOffset Start { get; } = start;

        public long[] Counts { get; } = new long[RefusalKinds.All.Count];

        public Refusal Latest { get; set; }
    }
}
