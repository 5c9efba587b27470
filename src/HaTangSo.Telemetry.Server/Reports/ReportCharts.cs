using HaTangSo.Telemetry.Server.Compliance;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>The reports' charts (ScottPlot, PNG), with Vietnamese labels.</summary>
internal static class ReportCharts
{
    private static readonly (string Access, ScottPlot.Color Color, ScottPlot.Color Busy)[] s_accesses =
    [
        ("fixed", ScottPlot.Colors.SteelBlue, ScottPlot.Colors.LightSteelBlue),
        ("mobile", ScottPlot.Colors.DarkOrange, ScottPlot.Colors.NavajoWhite),
    ];

    /// <summary>
    /// Bars per former district (or, without those, per area of the first kind) of the all-operator download rows: whole
    /// day and busy hours for each access type, the target as a dashed line.
    /// </summary>
    public static byte[] Bars(string title, IReadOnlyList<ReportRow> rows)
    {
        var plot = new ScottPlot.Plot();
        var kind = rows.Any(r => r.AreaKind == "former-district") ? "former-district" : rows.Count > 0 ? rows[0].AreaKind : null;
        var charted = rows.Where(r => r.AreaKind == kind && r.Operator == ComplianceWindow.AllOperators && r.Metric is "download").ToList();
        var areas = charted.Select(r => r.AreaCode).Distinct().ToList();
        for (var a = 0; a < s_accesses.Length; a++)
        {
            var (access, color, busy) = s_accesses[a];
            var label = VerdictTexts.Access(access, Lang.Vi);
            var day = charted.Where(r => r.Access == access && r.Value is not null)
                .Select(r => new ScottPlot.Bar { Position = (areas.IndexOf(r.AreaCode) * 5) + (a * 2), Value = r.Value!.Value, FillColor = color }).ToList();
            var evening = charted.Where(r => r.Access == access && r.BusyValue is not null)
                .Select(r => new ScottPlot.Bar { Position = (areas.IndexOf(r.AreaCode) * 5) + (a * 2) + 1, Value = r.BusyValue!.Value, FillColor = busy }).ToList();
            if (day.Count > 0)
            {
                plot.Add.Bars(day).LegendText = $"{label}: cả ngày";
            }

            if (evening.Count > 0)
            {
                plot.Add.Bars(evening).LegendText = $"{label}: giờ cao điểm";
            }

            foreach (var target in charted.Where(r => r.Access == access && r.Target is not null).Select(r => r.Target!.Value).Distinct())
            {
                var line = plot.Add.HorizontalLine(target, color: color);
                line.LinePattern = ScottPlot.LinePattern.Dashed;
            }
        }

        var names = charted.GroupBy(r => r.AreaCode).ToDictionary(g => g.Key, g => g.First().AreaName);
        plot.Axes.Bottom.SetTicks([.. areas.Select((_, i) => (i * 5) + 1.5)], [.. areas.Select(a => Short(names.GetValueOrDefault(a, a)))]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
        plot.Axes.Left.Label.Text = "Mb/s";
        plot.Title(title);
        plot.ShowLegend();
        plot.Font.Automatic(); // a font with every Vietnamese letter the labels use
        return plot.GetImageBytes(Math.Max(800, areas.Count * 80), 520, ScottPlot.ImageFormat.Png);
    }

    /// <summary>Monthly lines: the all-operator value of each access type per month of a year, with the targets.</summary>
    public static byte[] Months(string title, IReadOnlyList<(string Access, double?[] Values, double? Target)> series)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (access, values, target) in series)
        {
            var color = access == "fixed" ? ScottPlot.Colors.SteelBlue : ScottPlot.Colors.DarkOrange;
            var xs = Enumerable.Range(1, 12).Where(m => values[m - 1] is not null).Select(m => (double)m).ToArray();
            var ys = xs.Select(x => values[(int)x - 1]!.Value).ToArray();
            if (xs.Length > 0)
            {
                var scatter = plot.Add.Scatter(xs, ys, color);
                scatter.LegendText = VerdictTexts.Access(access, Lang.Vi);
            }

            if (target is { } t)
            {
                plot.Add.HorizontalLine(t, color: color).LinePattern = ScottPlot.LinePattern.Dashed;
            }
        }

        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(1, 12).Select(m => (double)m)], [.. Enumerable.Range(1, 12).Select(m => $"T{m}")]);
        plot.Axes.Left.Label.Text = "Mb/s";
        plot.Title(title);
        plot.ShowLegend();
        plot.Font.Automatic();
        return plot.GetImageBytes(800, 400, ScottPlot.ImageFormat.Png);
    }

    private static string Short(string name) => name.Length > 24 ? name[..24] + "…" : name;
}
