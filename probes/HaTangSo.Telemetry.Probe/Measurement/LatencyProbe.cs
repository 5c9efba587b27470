using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// Round-trip time as the kernel measures it (as M-Lab's ndt7 does): each sample is a TCP handshake with the
/// speed-test server (SYN → SYN-ACK, answered by the server's kernel), timed by this box's kernel when the packets
/// pass (<c>tcpi_rtt</c> right after connecting is that one sample, in µs). Neither side's program has to be
/// scheduled for it, so a busy box measures its link, not its own run queue: timed from this program, an HTTP round
/// trip on a box at load 20 read a 20 ms link 29–38 ms and a 150 ms link 154 ms. Where the kernel does not say
/// (not Linux), the handshake is timed from here. The server is checked to answer HTTP once first.
/// </summary>
internal sealed class LatencyProbe : IDisposable
{
    private const int IpProtoTcp = 6;
    private const int TcpInfo = 11;
    private const int RttOffset = 68; // tcpi_rtt, u32 µs

    private readonly HttpClient _http;
    private readonly LinkEndpoint _endpoint;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;

    public LatencyProbe(LinkEndpoint endpoint, TimeProvider time, TimeSpan timeout)
    {
        _endpoint = endpoint;
        _time = time;
        _timeout = timeout;
        _http = endpoint.NewHttpClient(1, timeout);
    }

    /// <summary>Checks the server answers HTTP (a speed-test server, not just an open port).</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, LibreSpeedPaths.Empty(_endpoint.Server));
        request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>One round trip, in milliseconds: a handshake, timed by the kernel.</summary>
    public async Task<double> PingAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var start = _time.GetTimestamp();
        using var socket = await _endpoint.ConnectAsync(_endpoint.Server.Port, timeout.Token);
        var elapsed = _time.GetElapsedTime(start).TotalMilliseconds;
        return KernelRttMs(socket) ?? elapsed;
    }

    private static double? KernelRttMs(Socket socket)
    {
        Span<byte> info = stackalloc byte[128];
        try
        {
            var rtt = socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info) >= RttOffset + 4
                ? BinaryPrimitives.ReadUInt32LittleEndian(info[RttOffset..])
                : 0;
            return rtt == 0 ? null : rtt / 1000.0;
        }
        catch (Exception ex) when (ex is SocketException or PlatformNotSupportedException)
        {
            return null;
        }
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
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                // A saturated link may drop a handshake; the next sample is a new one.
            }
        }

        return samples;
    }

    public void Dispose() => _http.Dispose();
}
