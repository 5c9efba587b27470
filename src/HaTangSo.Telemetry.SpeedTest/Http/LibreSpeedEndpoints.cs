using System.Buffers;
using System.Globalization;
using System.Text.Json.Serialization;
using HaTangSo.Telemetry.SpeedTest.Diagnostics;
using HaTangSo.Telemetry.SpeedTest.UdpEcho;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.SpeedTest.Http;

/// <summary>
/// LibreSpeed's backend protocol (garbage, empty, getIP): <c>/garbage</c> and <c>/backend/garbage.php</c> are
/// the same endpoint, so LibreSpeed's web client and any LibreSpeed-speaking probe work against this server. Added:
/// <c>udpToken</c>, which the probe calls before its UDP test (the echo answers token holders only).
/// </summary>
internal static class LibreSpeedEndpoints
{
    private const int DefaultChunks = 4;

    public static void MapLibreSpeed(this IEndpointRouteBuilder app, string prefix, string suffix)
    {
        var ext = suffix == "." ? string.Empty : suffix;
        app.MapMethods($"{prefix}/garbage{ext}", ["GET"], GarbageAsync);
        app.MapMethods($"{prefix}/empty{ext}", ["GET", "POST"], EmptyAsync);
        app.MapMethods($"{prefix}/getIP{ext}", ["GET"], GetIp);
        app.MapMethods($"{prefix}/udpToken{ext}", ["GET"], UdpToken);
        app.MapMethods($"{prefix}/{{name}}", ["OPTIONS"], Preflight);
    }

    private static async Task GarbageAsync(
        HttpContext context, RandomPayload payload, IOptions<SpeedTestOptions> options, TimeProvider time, ILoggerFactory loggers)
    {
        var chunks = DefaultChunks;
        if (int.TryParse(context.Request.Query["ckSize"], NumberStyles.None, CultureInfo.InvariantCulture, out var asked) && asked > 0)
        {
            chunks = Math.Min(asked, options.Value.MaxChunks);
        }

        var response = context.Response;
        NoCache(response);
        response.ContentType = "application/octet-stream";
        response.Headers.ContentDisposition = "attachment; filename=random.dat";
        response.Headers["Content-Transfer-Encoding"] = "binary";
        response.ContentLength = (long)chunks * RandomPayload.ChunkBytes;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (options.Value.SendBufferBytes > 0 && socket is not null)
        {
            // Kept for the connection's next requests: they are downloads too, or short.
            socket.SendBufferSize = options.Value.SendBufferBytes;
        }

        using var limits = SenderLimits.Start(socket, time);
        var aborted = context.RequestAborted;
        try
        {
            for (var i = 0; i < chunks && !aborted.IsCancellationRequested; i++)
            {
                await response.Body.WriteAsync(payload.Chunk, aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client stops reading at the end of its test: normal.
        }
        finally
        {
            Report(loggers.CreateLogger(typeof(LibreSpeedEndpoints)), Client(context), limits);
        }
    }

    private static async Task EmptyAsync(HttpContext context, IOptions<SpeedTestOptions> options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(LibreSpeedEndpoints));
        NoCache(context.Response);
        context.Response.Headers.Connection = "keep-alive";
        if (HttpMethods.IsPost(context.Request.Method))
        {
            // Uploads often have no length (chunked for the whole test): read and discard, up to a size and a time.
            var settings = options.Value;
            var sizeLimit = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
            if (sizeLimit is { IsReadOnly: false })
            {
                sizeLimit.MaxRequestBodySize = settings.MaxUploadBytes;
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            deadline.CancelAfter(settings.MaxUploadDuration);
            var reader = context.Request.BodyReader;
            var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
            var lowWater = socket is null ? null : new ReceiveLowWater(socket);
            var remaining = context.Request.ContentLength;
            try
            {
                while (true)
                {
                    lowWater?.Before(remaining);
                    var read = await reader.ReadAsync(deadline.Token);
                    remaining -= read.Buffer.Length;
                    reader.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted || read.IsCanceled)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                logger.UploadStopped(Client(context), $"SpeedTest:MaxUploadDuration ({settings.MaxUploadDuration})");
                context.Abort(); // the client is still sending: the connection cannot be reused
                return;
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                logger.UploadStopped(Client(context), $"SpeedTest:MaxUploadBytes ({settings.MaxUploadBytes} bytes)");
                context.Abort();
                return;
            }
            catch (Exception ex) when (ex is OperationCanceledException or BadHttpRequestException or IOException)
            {
                // The client ends its upload by closing the connection (or was too slow: Kestrel's minimum rate).
                return;
            }
            finally
            {
                lowWater?.Reset();
            }
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    // The token binds the address this request came from; the probe's UDP test leaves by the same link.
    private static IResult UdpToken(HttpContext context, UdpTokens tokens, IOptions<SpeedTestOptions> options)
    {
        NoCache(context.Response);
        if (context.Connection.RemoteIpAddress is not { } address || options.Value.UdpEchoPort == 0)
        {
            return Results.NotFound();
        }

        var (token, expiresAt) = tokens.Issue(address);
        return Results.Json(
            new UdpTokenAnswer(Convert.ToBase64String(token), expiresAt, options.Value.UdpEchoPort), SpeedTestJsonContext.Default.UdpTokenAnswer);
    }

    // Every download at Debug (the accuracy harness reads them); one the server held back at Warning: figures taken
    // against this server understate links, and the server needs more CPU (or its send buffer, SendBufferBytes).
    private static void Report(ILogger logger, string client, SenderLimits? limits)
    {
        if (limits is null)
        {
            return;
        }

        limits.Sample(); // the socket may still be open; if not, the reading after the last chunk stands
        var shares = limits.Shares();

        if (shares.ServerBound)
        {
            logger.DownloadServerBound(client, shares.Span.TotalSeconds, shares.ServerIdlePct);
        }

        logger.DownloadEnded(client, shares.Span.TotalSeconds, shares.ServerIdlePct, shares.ReceiverWindowPct, shares.SendBufferPct);
    }

    private static string Client(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address ? UdpTokens.Normalise(address).ToString() : string.Empty;

    private static IResult GetIp(HttpContext context)
    {
        NoCache(context.Response);
        var address = context.Connection.RemoteIpAddress;
        var text = address is null ? string.Empty : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
        return Results.Json(new IpAnswer(text, string.Empty), SpeedTestJsonContext.Default.IpAnswer);
    }

    private static IResult Preflight(HttpContext context)
    {
        Cors(context.Response);
        return Results.Ok();
    }

    private static void NoCache(HttpResponse response)
    {
        Cors(response);
        response.Headers.CacheControl = new(["no-store, no-cache, must-revalidate, max-age=0, s-maxage=0", "post-check=0, pre-check=0"]);
        response.Headers.Pragma = "no-cache";
    }

    // LibreSpeed's backend answers cross-origin requests so its web client can be served from another host.
    private static void Cors(HttpResponse response)
    {
        response.Headers.AccessControlAllowOrigin = "*";
        response.Headers.AccessControlAllowMethods = "GET, POST, OPTIONS";
        response.Headers.AccessControlAllowHeaders = "Content-Encoding, Content-Type";
    }
}

/// <summary>LibreSpeed's getIP answer.</summary>
internal sealed record IpAnswer(string ProcessedString, string RawIspInfo);

/// <summary>The <c>udpToken</c> answer: the token (base64; it opens each echo datagram), its expiry, the echo's port.</summary>
internal sealed record UdpTokenAnswer(string Token, DateTimeOffset ExpiresAt, int UdpPort);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(IpAnswer))]
[JsonSerializable(typeof(UdpTokenAnswer))]
internal sealed partial class SpeedTestJsonContext : JsonSerializerContext;
