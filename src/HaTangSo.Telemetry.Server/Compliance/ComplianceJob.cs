using HaTangSo.Telemetry.Server.Alerts;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>
/// The hourly compliance job: every district of every province over the rolling window and the current month,
/// stored and written to InfluxDB, the rolling verdicts fed to the alerts; then QCVN 34 per fixed link. The evaluation instant is
/// the hour, so two instances (or a retry) evaluating the same hour produce the same rows, once.
/// </summary>
internal sealed class ComplianceJob(
    ComplianceEvaluator evaluator, ComplianceStore store, Qcvn34Evaluator qcvn34, AlertStore alerts, ResultSamples results,
    IOptions<ComplianceOptions> options, TimeProvider time, ILogger<ComplianceJob> logger)
{
    /// <summary>Runs one evaluation for the current hour.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var evaluatedAt = VietnamTime.Floor(time.GetUtcNow(), TimeSpan.FromHours(1));
        var from = evaluatedAt - TimeSpan.FromDays(options.Value.WindowDays);
        var monthStart = VietnamTime.StartOf(VietnamTime.MonthOf(evaluatedAt - TimeSpan.FromTicks(1)));
        var start = time.GetTimestamp();
        var rows = 0;
        foreach (var province in await evaluator.ProvincesAsync(cancellationToken))
        {
            var earliest = monthStart < from ? monthStart : from;
            var (fromNs, monthNs) = (ResultSamples.ToNs(from), ResultSamples.ToNs(monthStart));
            var fixedLinks = new List<Sample>();

            // One district at a time: the job holds the largest district's month of samples, not the province's.
            foreach (var district in await evaluator.DistrictsAsync(province, cancellationToken))
            {
                var samples = await results.ReadAsync(province, earliest, evaluatedAt, cancellationToken, district);
                var rolling = await evaluator.EvaluateAsync(
                    province, from, evaluatedAt, cancellationToken, [.. samples.Where(s => s.TimeNs >= fromNs)], district);
                var month = await evaluator.EvaluateAsync(
                    province, monthStart, evaluatedAt, cancellationToken, [.. samples.Where(s => s.TimeNs >= monthNs)], district);
                await store.SaveAsync("rolling", evaluatedAt, rolling, cancellationToken);
                await store.SaveAsync("month", evaluatedAt, month, cancellationToken);
                foreach (var row in rolling)
                {
                    await alerts.ApplyComplianceAsync(row, evaluatedAt, cancellationToken);
                }

                fixedLinks.AddRange(samples.Where(s => s.TimeNs >= fromNs && s.Access == "fixed" && s.Download is not null));
                rows += rolling.Count + month.Count;
            }

            // QCVN 34 judges each fixed link over the rolling window (only fixed downloads are kept for it).
            await qcvn34.EvaluateAsync(province, fixedLinks, from, evaluatedAt, evaluatedAt, cancellationToken);
        }

        logger.ComplianceEvaluated(evaluatedAt, rows, time.GetElapsedTime(start));
    }
}
