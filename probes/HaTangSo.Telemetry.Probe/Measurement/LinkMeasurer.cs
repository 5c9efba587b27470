using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// Measures one link against one server, in order: DNS, idle latency, UDP loss and jitter (all on an idle
/// link), then download and upload, each with the round trip under load. A part that fails leaves its
/// figures null and its reason in the errors; the server not answering at all ends the test.
/// </summary>
internal sealed class LinkMeasurer(MeasurementSettings settings, TimeProvider time)
{
    public async Task<MeasurementOutcome> MeasureAsync(
        Uri server, IPAddress? source, IMeasurementProgress? progress, CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        var start = time.GetTimestamp();
        var errors = new List<string>();
        var outcome = new MeasurementOutcome { StartedAt = startedAt, Duration = TimeSpan.Zero };
        MeasurementOutcome Done(MeasurementOutcome o) => o with { Duration = time.GetElapsedTime(start), Errors = errors };

        progress?.Started("DNS");
        LinkEndpoint endpoint;
        try
        {
            var (address, dnsMs) = await LinkEndpoint.ResolveAsync(server, source, time, cancellationToken);
            endpoint = new LinkEndpoint(server, address, source);
            outcome = outcome with { DnsMs = Statistics.Round(dnsMs) };
            progress?.Finished("DNS", dnsMs is null ? $"{address} (address given)" : $"{address} in {dnsMs:0.0} ms");
        }
        catch (SocketException ex)
        {
            errors.Add($"DNS: cannot resolve {server.DnsSafeHost}: {ex.Message}");
            progress?.Finished("DNS", errors[^1]);
            return Done(outcome);
        }

        progress?.Started("Latency");
        try
        {
            using var pinger = new LatencyProbe(endpoint, time, settings.RequestTimeout);
            await pinger.WarmUpAsync(cancellationToken);
            var samples = await pinger.SampleAsync(settings.LatencySamples, settings.LatencyInterval, cancellationToken);
            outcome = outcome with { LatencyMs = Statistics.Round(Statistics.Median(samples)), JitterMs = Statistics.Round(Statistics.Jitter(samples)) };
            progress?.Finished("Latency", Invariant($"{outcome.LatencyMs:0.00} ms, jitter {outcome.JitterMs:0.00} ms ({samples.Count} samples)"));
        }
        catch (Exception ex) when (IsNetworkError(ex, cancellationToken))
        {
            errors.Add($"server {server} does not answer{Via(source)}: {Describe(ex)}");
            progress?.Finished("Latency", errors[^1]);
            return Done(outcome);
        }

        if (settings.UdpPort > 0)
        {
            progress?.Started("UDP");
            try
            {
                var token = await UdpToken.FetchAsync(endpoint, settings.RequestTimeout, cancellationToken);
                var udp = await new UdpEchoTest(endpoint, settings, time, token).RunAsync(cancellationToken);
                outcome = outcome with { LossPct = Statistics.Round(udp.LossPct), UdpJitterMs = Statistics.Round(Statistics.Jitter(udp.RttMs)) };
                progress?.Finished("UDP", Invariant($"loss {outcome.LossPct:0.00} %, jitter {outcome.UdpJitterMs:0.00} ms"));
            }
            catch (Exception ex) when (ex is TimeoutException or SocketException or HttpRequestException or InvalidDataException
                                       or FormatException or System.Text.Json.JsonException
                                       || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                errors.Add("UDP: " + (ex is OperationCanceledException ? "no UDP token from the server in time" : ex.Message));
                progress?.Finished("UDP", errors[^1]);
            }
        }

        var loaded = new List<double>();
        var throughput = new ThroughputTest(endpoint, settings, time);
        foreach (var direction in new[] { TransferDirection.Download, TransferDirection.Upload })
        {
            var step = direction.ToString();
            progress?.Started(step);
            var result = await throughput.RunAsync(direction, progress is null ? null : (t, mbps) => progress.Rate(step, t, mbps), cancellationToken);
            loaded.AddRange(result.LoadedRttMs);
            outcome = outcome with { Cpu = Busier(outcome.Cpu, result.Cpu) };
            outcome = direction == TransferDirection.Download
                ? outcome with { DownloadMbps = Statistics.Round(result.Mbps) }
                : outcome with { UploadMbps = Statistics.Round(result.Mbps) };
            if (result.Error is not null)
            {
                errors.Add($"{step}: {result.Error}");
            }

            progress?.Finished(step, result.Mbps is { } m ? Invariant($"{m:0.00} Mb/s") + (result.Cpu is { } cpu ? $"  [CPU: {cpu}]" : string.Empty) : errors[^1]);
        }

        outcome = outcome with { LoadedLatencyMs = Statistics.Round(Statistics.Median(loaded)) };
        return Done(outcome);
    }

    private static CpuLoad? Busier(CpuLoad? a, CpuLoad? b) =>
        a is null ? b : b is null ? a : (a.Bound, Math.Max(a.StalledPct ?? 0, a.AppLimitedPct ?? 0), a.WaitPct ?? 0).CompareTo((b.Bound, Math.Max(b.StalledPct ?? 0, b.AppLimitedPct ?? 0), b.WaitPct ?? 0)) >= 0 ? a : b;

    private static bool IsNetworkError(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException or SocketException or IOException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static string Describe(Exception ex) =>
        ex is OperationCanceledException ? "no answer in time" : ex.InnerException?.Message ?? ex.Message;

    private static string Via(IPAddress? source) => source is null ? string.Empty : $" from {source}";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
