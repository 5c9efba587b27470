using System.Diagnostics;
using System.Globalization;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// Our speed-test server on loopback: download (garbage) and upload (empty) throughput with parallel streams,
/// and the server process's CPU use over the same span (from /proc/PID/stat), to show it is not the bottleneck.
/// </summary>
internal static class SpeedTestBenchmark
{
    public static async Task RunAsync(int streams, int seconds, CancellationToken cancellationToken)
    {
        await using var server = await SpeedTestProcess.StartAsync(cancellationToken);

        // The server gets one core (all its threads pinned to CPU 0), the client the rest.
        var taskset = new ProcessStartInfo("taskset", ["-a", "-cp", "0", server.ProcessId.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true };
        using (var pin = Process.Start(taskset)!)
        {
            await pin.StandardOutput.ReadToEndAsync(cancellationToken);
            await pin.WaitForExitAsync(cancellationToken);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Speed-test server on loopback, {streams} streams x {seconds} s per direction, {Environment.ProcessorCount} cores; server pinned to CPU 0"));
        foreach (var upload in new[] { false, true })
        {
            var cpuBefore = ProcessCpu.Seconds(server.ProcessId);
            var watch = Stopwatch.StartNew();
            var bytes = await TransferAsync(server.BaseAddress, streams, TimeSpan.FromSeconds(seconds), upload, cancellationToken);
            var elapsed = watch.Elapsed.TotalSeconds;
            var cores = (ProcessCpu.Seconds(server.ProcessId) - cpuBefore) / elapsed;
            var gbps = bytes * 8 / elapsed / 1e9;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {(upload ? "upload  " : "download")}: {gbps,6:0.00} Gb/s   server CPU {cores:0.00} cores   ({gbps / Math.Max(cores, 0.01):0.0} Gb/s per server core)"));
        }
    }

    private static async Task<long> TransferAsync(Uri server, int streams, TimeSpan duration, bool upload, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = streams, UseProxy = false });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(duration);
        long total = 0;
        var block = new byte[256 * 1024];
        Random.Shared.NextBytes(block);
        await Task.WhenAll(Enumerable.Range(0, streams).Select(async _ =>
        {
            var buffer = new byte[256 * 1024];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    if (upload)
                    {
                        using var content = new BlockContent(block, b => Interlocked.Add(ref total, b), stop.Token);
                        using var response = await http.PostAsync(new Uri(server, "empty"), content, stop.Token);
                    }
                    else
                    {
                        using var response = await http.GetAsync(new Uri(server, "garbage?ckSize=1024"), HttpCompletionOption.ResponseHeadersRead, stop.Token);
                        await using var body = await response.Content.ReadAsStreamAsync(stop.Token);
                        int read;
                        while ((read = await body.ReadAsync(buffer, stop.Token)) > 0)
                        {
                            Interlocked.Add(ref total, read);
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
            {
            }
        }));
        return total;
    }

    private sealed class BlockContent(byte[] block, Action<int> sent, CancellationToken stop) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            while (!stop.IsCancellationRequested)
            {
                await stream.WriteAsync(block, stop);
                sent(block.Length);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
