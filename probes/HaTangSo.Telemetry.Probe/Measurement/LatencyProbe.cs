using System.Net.Http.Headers;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// Round-trip time as LibreSpeed measures it: a small HTTP GET of <c>empty</c> on a connection that is
/// already open, timed from sending the request to the end of the answer.
/// </summary>
internal sealed class LatencyProbe : IDisposable
{
    private readonly HttpClient _http;
    private readonly LinkEndpoint _endpoint;
    private readonly TimeProvider _time;

    public LatencyProbe(LinkEndpoint endpoint, TimeProvider time, TimeSpan timeout)
    {
        _endpoint = endpoint;
        _time = time;
        _http = endpoint.NewHttpClient(1, timeout);
    }

    /// <summary>Opens the connection (its handshake is not a sample) and checks the server answers.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken) => await PingAsync(cancellationToken);

    /// <summary>One round trip, in milliseconds.</summary>
    public async Task<double> PingAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, LibreSpeedPaths.Empty(_endpoint.Server));
        request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        var start = _time.GetTimestamp();
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var elapsed = _time.GetElapsedTime(start).TotalMilliseconds;
        response.EnsureSuccessStatusCode();
        return elapsed;
    }

    /// <summary>Takes <paramref name="count"/> samples <paramref name="interval"/> apart.</summary>
    public async Task<List<double>> SampleAsync(int count, TimeSpan interval, CancellationToken cancellationToken)
    {
        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                await Task.Delay(interval, _time, cancellationToken);
            }

            samples.Add(await PingAsync(cancellationToken));
        }

        return samples;
    }

    /// <summary>Samples until cancelled, keeping those taken after <paramref name="warmup"/>; failures are skipped.</summary>
    public async Task<List<double>> SampleWhileLoadedAsync(TimeSpan interval, TimeSpan warmup, CancellationToken cancellationToken)
    {
        var samples = new List<double>();
        var start = _time.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var rtt = await PingAsync(cancellationToken);
                if (_time.GetElapsedTime(start) >= warmup)
                {
                    samples.Add(rtt);
                }

                await Task.Delay(interval, _time, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                // A saturated link may drop a ping's connection; the next sample opens a new one.
            }
        }

        return samples;
    }

    public void Dispose() => _http.Dispose();
}
