namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>What one direction's transfer gave.</summary>
/// <param name="Mbps">Throughput after the warm-up; null when nothing was measured.</param>
/// <param name="LoadedRttMs">Round-trip samples taken while the link was saturated (after the warm-up).</param>
/// <param name="Bytes">Bytes moved in total, warm-up included.</param>
/// <param name="Error">The first stream error, if any.</param>
internal sealed record ThroughputResult(double? Mbps, IReadOnlyList<double> LoadedRttMs, long Bytes, string? Error);

/// <summary>
/// Downloads or uploads over <see cref="MeasurementSettings.Streams"/> parallel HTTP connections for a fixed
/// duration, sampling the bytes moved, while a separate connection measures the round trip under load.
/// </summary>
internal sealed class ThroughputTest(LinkEndpoint endpoint, MeasurementSettings settings, TimeProvider time)
{
    /// <summary>Runs one direction; <paramref name="progress"/> gets the bytes so far every sample.</summary>
    public async Task<ThroughputResult> RunAsync(
        TransferDirection direction, Action<TimeSpan, double>? progress, CancellationToken cancellationToken)
    {
        // Uploads count what the server acknowledged, not what was handed to the send buffers.
        var acked = direction == TransferDirection.Upload && AckedBytes.Supported ? new AckedBytes() : null;
        var meter = new ThroughputMeter(acked is null ? null : acked.Total);
        using var http = endpoint.NewHttpClient(settings.Streams, Timeout.InfiniteTimeSpan, acked is null ? null : acked.Track);
        using var pinger = new LatencyProbe(endpoint, time, settings.RequestTimeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var errors = new List<string>();
        var start = time.GetTimestamp();

        var sampler = meter.SampleAsync(time, settings.SampleInterval, stop.Token);
        var loaded = pinger.SampleWhileLoadedAsync(settings.LoadedLatencyInterval, settings.Warmup, stop.Token);
        var streams = Enumerable.Range(0, settings.Streams)
            .Select(_ => StreamAsync(http, direction, meter, errors, stop.Token))
            .ToArray();
        var reporter = ReportAsync(meter, progress, start, stop.Token);

        try
        {
            await Task.Delay(settings.Duration, time, cancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll([sampler, loaded, reporter, .. streams]);
        }

        var mbps = ThroughputMeter.MbpsAfterWarmup(meter.Samples, settings.Warmup);
        string? error;
        lock (errors)
        {
            error = errors.FirstOrDefault();
        }

        return new ThroughputResult(mbps, await loaded, meter.Bytes, mbps is null ? error ?? "no data after the warm-up" : null);
    }

    private async Task StreamAsync(
        HttpClient http, TransferDirection direction, ThroughputMeter meter, List<string> errors, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (direction == TransferDirection.Download)
                {
                    using var response = await http.GetAsync(
                        LibreSpeedPaths.Garbage(http.BaseAddress!, LibreSpeedPaths.MaxChunks), HttpCompletionOption.ResponseHeadersRead, stop);
                    response.EnsureSuccessStatusCode();
                    await using var body = await response.Content.ReadAsStreamAsync(stop);
                    int read;
                    while ((read = await body.ReadAsync(buffer, stop)) > 0)
                    {
                        meter.Add(read);
                    }
                }
                else
                {
                    using var content = new UploadContent(meter, stop);
                    content.Headers.ContentType = new("application/octet-stream");
                    using var response = await http.PostAsync(LibreSpeedPaths.Empty(http.BaseAddress!), content, stop);
                    response.EnsureSuccessStatusCode();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
            {
                lock (errors)
                {
                    errors.Add(ex.Message);
                }

                // Leave the connection a moment before trying again (a reset link, a restarted server).
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), time, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task ReportAsync(ThroughputMeter meter, Action<TimeSpan, double>? progress, long start, CancellationToken stop)
    {
        if (progress is null)
        {
            return;
        }

        long lastBytes = 0;
        var lastAt = TimeSpan.Zero;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var now = time.GetElapsedTime(start);
                var bytes = meter.Bytes;
                progress(now, (bytes - lastBytes) * 8 / (now - lastAt).TotalSeconds / 1e6);
                (lastBytes, lastAt) = (bytes, now);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
