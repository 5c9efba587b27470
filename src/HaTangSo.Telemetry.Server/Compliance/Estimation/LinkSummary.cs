namespace HaTangSo.Telemetry.Server.Compliance.Estimation;

/// <summary>A probe link as the verdicts count it: where it is (current commune), what it is and whose.</summary>
internal readonly record struct LinkKey(string Probe, string Link, string Commune, string Access, string Operator, string Technology)
{
    public static LinkKey Of(in Sample sample) => new(sample.Probe, sample.Link, sample.Commune, sample.Access, sample.Operator, sample.Technology);
}

/// <summary>The metrics of one link over a period (an hour, a day or its busy hours, a window), mergeable.</summary>
internal sealed class LinkSummary
{
    public ValueSummary Download { get; private init; } = new();

    public ValueSummary Upload { get; private init; } = new();

    public ValueSummary Latency { get; private init; } = new();

    /// <summary>Results counted (some may lack a metric).</summary>
    public long Results => Math.Max(Download.Count, Math.Max(Upload.Count, Latency.Count));

    public void Add(in Sample sample)
    {
        if (sample.Download is { } down)
        {
            Download.Add(down);
        }

        if (sample.Upload is { } up)
        {
            Upload.Add(up);
        }

        if (sample.Latency is { } latency)
        {
            Latency.Add(latency);
        }
    }

    public void Merge(LinkSummary other)
    {
        Download.Merge(other.Download);
        Upload.Merge(other.Upload);
        Latency.Merge(other.Latency);
    }

    /// <summary>One metric (<c>download</c>, <c>upload</c>, <c>latency</c>).</summary>
    public ValueSummary Metric(string metric) => metric switch
    {
        "download" => Download,
        "upload" => Upload,
        _ => Latency,
    };

    public static LinkSummary FromStored(ValueSummary download, ValueSummary upload, ValueSummary latency) =>
        new() { Download = download, Upload = upload, Latency = latency };
}

/// <summary>
/// A stretch of one link's data: a whole Vietnamese day (from <c>link_daily</c>: all hours and the busy hours) or an
/// hour (from <c>link_hourly</c>, or summarised from raw results). <see cref="Busy"/> is the busy hours' part (an hour
/// is all busy or not busy at all).
/// </summary>
/// <remarks>A merged stretch (a month, a year: the reports') is a day-like segment with its own <see cref="Span"/>.</remarks>
internal sealed record LinkSegment(DateTimeOffset Start, bool IsDay, LinkSummary All, LinkSummary? Busy, TimeSpan? Span = null)
{
    public DateTimeOffset End => Start + (Span ?? (IsDay ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1)));
}

/// <summary>A link's segments over what was read, and its summary over any window inside it.</summary>
internal sealed class LinkHistory(LinkKey key)
{
    public LinkKey Key { get; } = key;

    public List<LinkSegment> Segments { get; } = [];

    /// <summary>
    /// The link over <c>[from, to)</c> (only its busy hours when <paramref name="busy"/>): the whole days inside from
    /// their day segments, the rest from hour segments (an hour of a day already counted whole is not counted again).
    /// </summary>
    public LinkSummary Window(DateTimeOffset from, DateTimeOffset to, bool busy)
    {
        var window = new LinkSummary();
        HashSet<DateTimeOffset>? days = null;
        foreach (var segment in Segments)
        {
            if (segment.IsDay && segment.Start >= from && segment.End <= to)
            {
                (days ??= []).Add(segment.Start);
                if ((busy ? segment.Busy : segment.All) is { } part)
                {
                    window.Merge(part);
                }
            }
        }

        foreach (var segment in Segments)
        {
            // An hour read from raw results may be the current, unfinished one: it counts once it has begun.
            if (!segment.IsDay && segment.Start >= from && segment.Start < to
                && (days is null || !days.Contains(VietnamTime.StartOf(VietnamTime.DayOf(segment.Start)))))
            {
                if ((busy ? segment.Busy : segment.All) is { } part)
                {
                    window.Merge(part);
                }
            }
        }

        return window;
    }
}
