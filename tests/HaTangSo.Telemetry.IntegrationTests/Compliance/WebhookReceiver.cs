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

    /// <summary>Answer this many requests with 503 first (to exercise the retries).</summary>
    public int FailFirst;

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
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            receiver.Received.Enqueue((await JsonDocument.ParseAsync(request.Body)).RootElement.Clone());
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
