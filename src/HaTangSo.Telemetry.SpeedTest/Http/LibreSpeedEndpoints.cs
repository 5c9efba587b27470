using System.Buffers;
using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.SpeedTest.Http;

/// <summary>
/// LibreSpeed's backend protocol (garbage, empty, getIP): <c>/garbage</c> and <c>/backend/garbage.php</c> are
/// the same endpoint, so LibreSpeed's web client and any LibreSpeed-speaking probe work against this server.
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
        app.MapMethods($"{prefix}/{{name}}", ["OPTIONS"], Preflight);
    }

    private static async Task GarbageAsync(HttpContext context, RandomPayload payload, IOptions<SpeedTestOptions> options)
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
    }

    private static async Task EmptyAsync(HttpContext context)
    {
        NoCache(context.Response);
        context.Response.Headers.Connection = "keep-alive";
        if (HttpMethods.IsPost(context.Request.Method))
        {
            // Uploads have any size and often no length (chunked for the whole test): read and discard.
            var sizeLimit = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
            if (sizeLimit is { IsReadOnly: false })
            {
                sizeLimit.MaxRequestBodySize = null;
            }

            var reader = context.Request.BodyReader;
            var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
            var lowWater = socket is null ? null : new ReceiveLowWater(socket);
            var remaining = context.Request.ContentLength;
            try
            {
                while (true)
                {
                    lowWater?.Before(remaining);
                    var read = await reader.ReadAsync(context.RequestAborted);
                    remaining -= read.Buffer.Length;
                    reader.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted || read.IsCanceled)
                    {
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or BadHttpRequestException or IOException)
            {
                // The client ends its upload by closing the connection.
                return;
            }
            finally
            {
                lowWater?.Reset();
            }
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

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

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(IpAnswer))]
internal sealed partial class SpeedTestJsonContext : JsonSerializerContext;
