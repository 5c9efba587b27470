using System.Collections.Concurrent;
using System.Text.Json;
using HaTangSo.Telemetry.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.IntegrationTests.Compliance;

/// <summary>An HTTP endpoint on loopback (Kestrel) that records every JSON body POSTed to it: the alert webhook's receiver.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public ConcurrentQueue<JsonElement> Received { get; } = new();

    /// <summary>Answer this many requests with <see cref="FailStatus"/> first (to exercise the retries).</summary>
    public int FailFirst;

    /// <summary>The status the first <see cref="FailFirst"/> requests get: 503 (transient) unless set.</summary>
    public int FailStatus = StatusCodes.Status503ServiceUnavailable;

    /// <summary>Hold each request this long before answering (to make concurrent senders overlap).</summary>
    public TimeSpan Delay;

    /// <summary>Times one notification id was being received by two requests at once.</summary>
    public int Overlaps;

    private readonly ConcurrentDictionary<long, int> _inFlight = new();

    public static async Task<WebhookReceiver> StartAsync(CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, new Uri($"http://127.0.0.1:{port}/hooks/alerts"));
        app.MapPost("/hooks/alerts", async (HttpRequest request) =>
        {
            if (Interlocked.Decrement(ref receiver.FailFirst) >= 0)
            {
                return Results.StatusCode(receiver.FailStatus);
            }

            var body = (await JsonDocument.ParseAsync(request.Body)).RootElement.Clone();
            var id = body.TryGetProperty("notificationId", out var value) ? value.GetInt64() : 0;
            if (receiver._inFlight.AddOrUpdate(id, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref receiver.Overlaps);
            }

            try
            {
                if (receiver.Delay > TimeSpan.Zero)
                {
                    await Task.Delay(receiver.Delay);
                }

                receiver.Received.Enqueue(body);
            }
            finally
            {
                receiver._inFlight.AddOrUpdate(id, 0, (_, n) => n - 1);
            }

            return Results.NoContent();
        });
        await app.StartAsync(cancellationToken);
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
