using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using HaTangSo.Telemetry.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Tests;

/// <summary>
/// An independent LibreSpeed backend, written here from LibreSpeed's documented endpoints (backend/garbage.php
/// with ckSize, backend/empty.php, backend/getIP.php) and sharing no code with our speed-test server, so the
/// probe is shown to speak the protocol rather than our implementation of it. Serves the PHP paths only.
/// </summary>
public sealed class MinimalLibreSpeedServer : IAsyncDisposable
{
    private static readonly byte[] s_chunk = RandomNumberGenerator.GetBytes(1024 * 1024);
    private readonly WebApplication _app;

    private MinimalLibreSpeedServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>The base address the probe is given: ends in <c>/backend/</c>, as LibreSpeed's PHP install does.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Requests served per path.</summary>
    public Dictionary<string, int> Hits { get; } = [];

    public static async Task<MinimalLibreSpeedServer> StartAsync(string address = "127.0.0.1", CancellationToken cancellationToken = default)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Parse(address), port));
        var app = builder.Build();
        var server = new MinimalLibreSpeedServer(app, new Uri($"http://{address}:{port}/backend/"));
        app.Use(async (context, next) =>
        {
            lock (server.Hits)
            {
                server.Hits[context.Request.Path] = server.Hits.GetValueOrDefault(context.Request.Path) + 1;
            }

            context.Response.Headers.CacheControl = "no-store, no-cache, must-revalidate, max-age=0";
            await next(context);
        });
        app.MapGet("/backend/garbage.php", async context =>
        {
            var chunks = int.TryParse(context.Request.Query["ckSize"], out var n) ? Math.Clamp(n, 1, 1024) : 4;
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = (long)chunks * s_chunk.Length;
            for (var i = 0; i < chunks && !context.RequestAborted.IsCancellationRequested; i++)
            {
                try
                {
                    await context.Response.Body.WriteAsync(s_chunk, context.RequestAborted);
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException)
                {
                    return;
                }
            }
        });
        app.Map("/backend/empty.php", async context =>
        {
            context.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = null;
            var buffer = new byte[64 * 1024];
            try
            {
                while (await context.Request.Body.ReadAsync(buffer, context.RequestAborted) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException)
            {
            }
        });
        app.MapGet("/backend/getIP.php", (HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? string.Empty);
        await app.StartAsync(cancellationToken);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A UDP echo on loopback that sends every datagram back (for the probe's loss and jitter test).</summary>
public sealed class UdpEchoForTests : IDisposable
{
    private readonly UdpClient _udp;
    private readonly CancellationTokenSource _stop = new();

    public UdpEchoForTests(double dropEvery = 0)
    {
        _udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;
        _ = Task.Run(async () =>
        {
            var count = 0;
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var datagram = await _udp.ReceiveAsync(_stop.Token);
                    count++;
                    if (dropEvery > 0 && count % (int)dropEvery == 0)
                    {
                        continue;
                    }

                    await _udp.SendAsync(datagram.Buffer, datagram.RemoteEndPoint, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (SocketException)
                {
                }
            }
        });
    }

    public int Port { get; }

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        _stop.Dispose();
    }
}
