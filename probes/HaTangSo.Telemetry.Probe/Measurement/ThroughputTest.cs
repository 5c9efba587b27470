using System.Net.Sockets;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>What one direction's transfer gave.</summary>
/// <param name="Mbps">Throughput after the warm-up; null when nothing was measured.</param>
/// <param name="LoadedRttMs">Round-trip samples taken while the link was saturated (after the warm-up).</param>
/// <param name="Bytes">Bytes moved in total, warm-up included.</param>
/// <param name="Error">The first stream error, if any.</param>
/// <param name="Cpu">What the box's CPUs did after the warm-up.</param>
internal sealed record ThroughputResult(double? Mbps, IReadOnlyList<double> LoadedRttMs, long Bytes, string? Error, CpuLoad? Cpu);

/// <summary>
/// Downloads or uploads over <see cref="MeasurementSettings.Streams"/> parallel HTTP connections for a fixed
/// duration, sampling the bytes moved, while a separate connection measures the round trip under load.
/// </summary>
internal sealed class ThroughputTest(LinkEndpoint endpoint, MeasurementSettings settings, TimeProvider time)
{
    /// <summary>The send buffer of an upload connection (Linux caps it at <c>net.core.wmem_max</c>).</summary>
    public const int UploadSendBufferBytes = 4 * 1024 * 1024;

    /// <summary>Runs one direction; <paramref name="progress"/> gets the bytes so far every sample.</summary>
    public async Task<ThroughputResult> RunAsync(
        TransferDirection direction, Action<TimeSpan, double>? progress, CancellationToken cancellationToken)
    {
        // What crossed the link, as the kernel counted it (acknowledged for uploads, received for downloads).
        var counter = TcpByteCounter.Supported ? new TcpByteCounter(direction) : null;
        var meter = new ThroughputMeter(counter is null ? null : counter.Total);
        using var pinger = new LatencyProbe(endpoint, time, settings.RequestTimeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var errors = new List<string>();
        var start = time.GetTimestamp();

        // One client, so one connection, per stream: each stream knows its socket (for the low-water mark).
        var streams = new List<Task>(settings.Streams);
        var clients = new List<HttpClient>(settings.Streams);
        try
        {
            var sampler = meter.SampleAsync(time, settings.SampleInterval, stop.Token);
            var loaded = pinger.SampleWhileLoadedAsync(settings.LoadedLatencyInterval, settings.Warmup, stop.Token);
            for (var i = 0; i < settings.Streams; i++)
            {
                var connection = new StreamConnection();
                var http = endpoint.NewHttpClient(1, Timeout.InfiniteTimeSpan, socket =>
                {
                    counter?.Track(socket);
                    connection.Socket = socket;
                    if (direction == TransferDirection.Upload)
                    {
                        // Keeps the link busy while the probe waits to be scheduled on a busy box (the speed-test
                        // server does the same for downloads: SpeedTest:SendBufferBytes).
                        socket.SendBufferSize = UploadSendBufferBytes;

                        // When the test ends, what is still in that buffer is dropped (a reset), not sent: on a
                        // 10 Mb/s line, 4 streams' worth kept the uplink full for 13 s after the test and the next
                        // measurements read 30 % low with 100 ms more latency.
                        socket.LingerState = new LingerOption(true, 0);
                    }
                });
                clients.Add(http);
                streams.Add(StreamAsync(http, connection, direction, meter, errors, stop.Token));
            }

            var reporter = ReportAsync(meter, progress, start, stop.Token);
            CpuLoad? cpu;
            try
            {
                // The CPU is watched over the span the figure comes from.
                await Task.Delay(settings.Warmup, time, cancellationToken);
                var cpuMeter = CpuMeter.Start(time);
                using var stalls = StallWatch.Start(time);
                var appLimit = counter is not null && direction == TransferDirection.Upload ? AppLimitWatch.Start(counter, time) : null;
                await Task.Delay(settings.Duration > settings.Warmup ? settings.Duration - settings.Warmup : TimeSpan.Zero, time, cancellationToken);
                cpu = cpuMeter.Stop() with { StalledPct = stalls.Stop(), AppLimitedPct = appLimit?.Stop() };

                // The span ends here, with every stream still open; stopping them closes their sockets.
                meter.End();
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

            return new ThroughputResult(mbps, await loaded, meter.Bytes, mbps is null ? error ?? "no data after the warm-up" : null, cpu);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private async Task StreamAsync(
        HttpClient http, StreamConnection connection, TransferDirection direction, ThroughputMeter meter, List<string> errors, CancellationToken stop)
    {
        var buffer = new byte[256 * 1024];
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
                    var lowWater = connection.Socket is { } socket ? new ReceiveLowWater(socket) : null;
                    var remaining = response.Content.Headers.ContentLength;
                    try
                    {
                        int read;
                        do
                        {
                            lowWater?.Before(remaining);
                            read = await body.ReadAsync(buffer, stop);
                            meter.Add(read);
                            remaining -= read;
                        }
                        while (read > 0);
                    }
                    finally
                    {
                        lowWater?.Reset();
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

/// <summary>The socket of one stream's connection, once it is connected.</summary>
internal sealed class StreamConnection
{
    public System.Net.Sockets.Socket? Socket { get; set; }
}
