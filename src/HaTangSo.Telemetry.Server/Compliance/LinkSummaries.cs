using System.Text.Json;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Compliance.Estimation;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>Which periods the stored link summaries cover (from the rollup job's progress), or none (raw path).</summary>
/// <param name="HourlySince">First hour of <c>link_hourly</c>.</param>
/// <param name="HourlyUntil">End of the last complete hour of <c>link_hourly</c>.</param>
/// <param name="DailySince">First day of <c>link_daily</c>.</param>
/// <param name="DailyUntil">End of the last complete day of <c>link_daily</c>.</param>
internal sealed record SummaryCoverage(DateTimeOffset HourlySince, DateTimeOffset HourlyUntil, DateTimeOffset DailySince, DateTimeOffset DailyUntil)
{
    /// <summary>Nothing stored: every window is read from the raw results.</summary>
    public static SummaryCoverage None { get; } = new(DateTimeOffset.MaxValue, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, DateTimeOffset.MinValue);
}

/// <summary>
/// Per-link summaries: written by the rollup job (<c>link_hourly</c> per link and hour, <c>link_daily</c> per link and
/// Vietnamese day with its busy hours apart), read by the compliance job and the reports. A window is merged from the
/// daily summaries of its whole days, the hourly ones of its partial days, and raw results for the hours not rolled up
/// yet, so the hourly evaluation reads a few rows per link instead of every result.
/// </summary>
internal sealed class LinkSummaries(InfluxDbClient influx, ResultSamples results, NpgsqlDataSource dataSource, IOptions<ComplianceOptions> options)
{
    public const string Hourly = "link_hourly";
    public const string Daily = "link_daily";
    private const string Tags = "commune, probe, link, access, \"operator\", technology";
    private static readonly TimeSpan s_day = TimeSpan.FromDays(1);
    private static readonly TimeSpan s_hour = TimeSpan.FromHours(1);
    private static readonly string[] s_prefixes = ["d", "u", "l"];
    private static readonly string s_fields = string.Join(", ", s_prefixes.SelectMany(p => new[] { "n", "sum", "sumsq", "min", "max", "hist" }.Select(f => $"{p}_{f}")));

    /// <summary>What is stored, from the job progress (none with <see cref="SummarySource.Raw"/>).</summary>
    public async Task<SummaryCoverage> CoverageAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Source == SummarySource.Raw)
        {
            return SummaryCoverage.None;
        }

        var marks = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using var command = dataSource.CreateCommand("SELECT job, completed_until FROM job_progress WHERE job LIKE 'link_%'");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            marks[reader.GetString(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        }

        DateTimeOffset Mark(string key, DateTimeOffset otherwise) => marks.TryGetValue(key, out var at) ? at : otherwise;
        return new SummaryCoverage(
            Mark(Hourly + "_since", DateTimeOffset.MaxValue), Mark(Hourly, DateTimeOffset.MinValue),
            Mark(Daily + "_since", DateTimeOffset.MaxValue), Mark(Daily, DateTimeOffset.MinValue));
    }

    /// <summary>
    /// Every link of <paramref name="communes"/> with data in <c>[from, to)</c>, as segments: whole days from
    /// <c>link_daily</c> where covered, hours from <c>link_hourly</c> for partial days (and for <paramref name="hourRanges"/>,
    /// the first partial day of a window that does not start on a day), raw results for the rest.
    /// </summary>
    public async Task<List<LinkHistory>> ReadAsync(
        IReadOnlyCollection<string> communes, Areas.CommuneResolver resolver, SummaryCoverage coverage, DateTimeOffset from, DateTimeOffset to,
        IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> hourRanges, CancellationToken cancellationToken)
    {
        var links = new Dictionary<LinkKey, LinkHistory>();
        if (communes.Count == 0 || from >= to)
        {
            return [];
        }

        var wanted = communes.ToHashSet(StringComparer.Ordinal);
        var filter = $"commune =~ /^({string.Join('|', resolver.TagsOf(communes))})$/";
        var firstDay = CeilDay(from);
        var dayFrom = firstDay < coverage.DailySince ? CeilDay(coverage.DailySince) : firstDay;
        var dayTo = FloorDay(to) < coverage.DailyUntil ? FloorDay(to) : FloorDay(coverage.DailyUntil);
        var ranges = new List<(DateTimeOffset From, DateTimeOffset To)>();
        if (dayFrom < dayTo)
        {
            await ReadStoredAsync(Daily, filter, dayFrom, dayTo, resolver, wanted, links, cancellationToken);
            ranges.Add((from, dayFrom));
            ranges.Add((dayTo, to));
        }
        else
        {
            ranges.Add((from, to));
        }

        ranges.AddRange(hourRanges.Select(r => (r.From < from ? from : r.From, r.To > to ? to : r.To)));
        foreach (var (start, end) in Union(ranges))
        {
            // Hours before the hourly summaries began or after the last rolled-up hour come from the raw results.
            var storedFrom = start > coverage.HourlySince ? start : coverage.HourlySince;
            var storedTo = end < coverage.HourlyUntil ? end : coverage.HourlyUntil;
            if (storedFrom < storedTo)
            {
                await ReadStoredAsync(Hourly, filter, storedFrom, storedTo, resolver, wanted, links, cancellationToken);
                await ReadRawAsync(communes, resolver, start, storedFrom, links, cancellationToken);
                await ReadRawAsync(communes, resolver, storedTo, end, links, cancellationToken);
            }
            else
            {
                await ReadRawAsync(communes, resolver, start, end, links, cancellationToken);
            }
        }

        return [.. links.Values];
    }

    /// <summary>Summarises samples per link and hour (the raw path, and the rollup job's hourly summaries).</summary>
    public static Dictionary<(LinkKey Link, DateTimeOffset Hour), LinkSummary> ByHour(IEnumerable<Sample> samples)
    {
        var hours = new Dictionary<(LinkKey, DateTimeOffset), LinkSummary>();
        foreach (var sample in samples)
        {
            var hour = VietnamTime.Floor(DateTimeOffset.UnixEpoch.AddTicks(sample.TimeNs / 100), s_hour);
            var key = (LinkKey.Of(sample), hour);
            if (!hours.TryGetValue(key, out var summary))
            {
                hours[key] = summary = new LinkSummary();
            }

            summary.Add(sample);
        }

        return hours;
    }

    /// <summary>The links of <paramref name="samples"/> as hour segments (the raw path; tests build windows this way).</summary>
    public static List<LinkHistory> FromSamples(IEnumerable<Sample> samples, Func<DateTimeOffset, bool> isBusy)
    {
        var links = new Dictionary<LinkKey, LinkHistory>();
        foreach (var ((key, hour), summary) in ByHour(samples))
        {
            History(links, key).Segments.Add(new LinkSegment(hour, false, summary, isBusy(hour) ? summary : null));
        }

        return [.. links.Values];
    }

    /// <summary>Writes one summary point (measurement, tags, the three metrics) into <paramref name="lines"/>.</summary>
    /// <exception cref="ArgumentException">A tag line protocol cannot carry (the caller skips that link).</exception>
    public static void Write(LineBuilder lines, string measurement, string province, LinkKey key, string? hours, LinkSummary summary, DateTimeOffset at)
    {
        try
        {
            lines.Measurement(measurement).Tag("province", province).Tag("commune", key.Commune).Tag("probe", key.Probe).Tag("link", key.Link)
                .Tag("access", key.Access).Tag("operator", key.Operator).Tag("technology", key.Technology).Tag("hours", hours);
            foreach (var (prefix, values) in new[] { ("d", summary.Download), ("u", summary.Upload), ("l", summary.Latency) })
            {
                if (values.Count == 0)
                {
                    continue;
                }

                lines.Field($"{prefix}_n", values.Count).Field($"{prefix}_sum", values.Sum).Field($"{prefix}_sumsq", values.SumOfSquares)
                    .Field($"{prefix}_min", values.Min).Field($"{prefix}_max", values.Max).Field($"{prefix}_hist", values.Histogram.Encode());
            }

            lines.Timestamp(WritePrecision.Seconds.ToTimestamp(at));
        }
        catch (ArgumentException)
        {
            lines.Abandon();
            throw;
        }
    }

    private async Task ReadRawAsync(
        IReadOnlyCollection<string> communes, Areas.CommuneResolver resolver, DateTimeOffset from, DateTimeOffset to, Dictionary<LinkKey, LinkHistory> links,
        CancellationToken cancellationToken)
    {
        if (from >= to)
        {
            return;
        }

        var samples = await results.ReadAsync(communes, resolver, from, to, cancellationToken);
        foreach (var ((key, hour), summary) in ByHour(samples))
        {
            History(links, key).Segments.Add(new LinkSegment(hour, false, summary, options.Value.IsBusy(hour) ? summary : null));
        }
    }

    private async Task ReadStoredAsync(
        string measurement, string filter, DateTimeOffset from, DateTimeOffset to, Areas.CommuneResolver resolver, HashSet<string> wanted,
        Dictionary<LinkKey, LinkHistory> links, CancellationToken cancellationToken)
    {
        var daily = measurement == Daily;
        // Daily rows a month at a time, hourly rows a day at a time: no single response grows with the window.
        var step = daily ? TimeSpan.FromDays(31) : s_day;
        for (var start = from; start < to; start += step)
        {
            var end = start + step < to ? start + step : to;
            var query = $"SELECT {s_fields} FROM {measurement} WHERE {filter} AND time >= {InfluxQl.Time(start)} AND time < {InfluxQl.Time(end)} GROUP BY {Tags}{(daily ? ", hours" : string.Empty)}";
            foreach (var statement in await influx.QueryAsync(query, cancellationToken))
            {
                foreach (var series in statement.Series ?? [])
                {
                    var tags = series.Tags ?? new Dictionary<string, string>();
                    string Tag(string name) => tags.TryGetValue(name, out var value) ? value : string.Empty;
                    if (resolver.Resolve(Tag("commune"), Tag("probe")) is not { } commune || !wanted.Contains(commune))
                    {
                        continue;
                    }

                    var history = History(links, new LinkKey(Tag("probe"), Tag("link"), commune, Tag("access"), Tag("operator"), Tag("technology")));
                    var busyPart = daily && Tag("hours") == "busy";
                    var columns = series.Columns.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
                    foreach (var row in series.Values ?? [])
                    {
                        var at = DateTimeOffset.UnixEpoch.AddTicks(row[columns["time"]].GetInt64() / 100);
                        var summary = LinkSummary.FromStored(Values(row, columns, "d"), Values(row, columns, "u"), Values(row, columns, "l"));
                        if (!daily)
                        {
                            history.Segments.Add(new LinkSegment(at, false, summary, options.Value.IsBusy(at) ? summary : null));
                            continue;
                        }

                        // The day's two rows (all hours, busy hours) make one segment.
                        var index = history.Segments.FindIndex(s => s.IsDay && s.Start == at);
                        var segment = index >= 0 ? history.Segments[index] : new LinkSegment(at, true, new LinkSummary(), null);
                        segment = busyPart ? segment with { Busy = summary } : segment with { All = summary };
                        if (index >= 0)
                        {
                            history.Segments[index] = segment;
                        }
                        else
                        {
                            history.Segments.Add(segment);
                        }
                    }
                }
            }
        }
    }

    private static ValueSummary Values(IReadOnlyList<JsonElement> row, Dictionary<string, int> columns, string prefix)
    {
        double Number(string field) => columns.TryGetValue($"{prefix}_{field}", out var i) && i < row.Count && row[i].ValueKind == JsonValueKind.Number ? row[i].GetDouble() : 0;
        var count = (long)Number("n");
        if (count <= 0)
        {
            return new ValueSummary();
        }

        var hist = columns.TryGetValue($"{prefix}_hist", out var h) && h < row.Count && row[h].ValueKind == JsonValueKind.String ? row[h].GetString()! : string.Empty;
        return ValueSummary.FromStored(count, Number("sum"), Number("sumsq"), Number("min"), Number("max"), LogHistogram.Decode(hist));
    }

    private static LinkHistory History(Dictionary<LinkKey, LinkHistory> links, LinkKey key)
    {
        if (!links.TryGetValue(key, out var history))
        {
            links[key] = history = new LinkHistory(key);
        }

        return history;
    }

    private static IEnumerable<(DateTimeOffset From, DateTimeOffset To)> Union(IEnumerable<(DateTimeOffset From, DateTimeOffset To)> ranges)
    {
        (DateTimeOffset From, DateTimeOffset To)? open = null;
        foreach (var range in ranges.Where(r => r.From < r.To).OrderBy(r => r.From))
        {
            if (open is { } current && range.From <= current.To)
            {
                open = (current.From, range.To > current.To ? range.To : current.To);
                continue;
            }

            if (open is { } done)
            {
                yield return done;
            }

            open = range;
        }

        if (open is { } last)
        {
            yield return last;
        }
    }

    /// <summary>The start of the Vietnamese day at or after <paramref name="time"/>.</summary>
    public static DateTimeOffset CeilDay(DateTimeOffset time)
    {
        var floor = FloorDay(time);
        return floor == time ? floor : floor + s_day;
    }

    /// <summary>The start of the Vietnamese day <paramref name="time"/> is in.</summary>
    public static DateTimeOffset FloorDay(DateTimeOffset time) =>
        time == DateTimeOffset.MinValue || time == DateTimeOffset.MaxValue ? time : VietnamTime.StartOf(VietnamTime.DayOf(time));
}
