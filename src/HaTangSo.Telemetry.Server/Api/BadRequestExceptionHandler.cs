using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// Turns a request the framework could not bind — not JSON, the wrong content type, a value of the wrong type or
/// out of its type's range (<c>10^12</c> minutes), too deep, a missing required field — into its 4xx problem
/// document, naming the JSON path when the serializer knows it (<c>links[0].advertisedDownloadMbps</c>). Minimal
/// APIs throw <see cref="BadHttpRequestException"/> for these because <c>RouteHandlerOptions.ThrowOnBadRequest</c> is
/// on; anything else is a bug and is left to the default handler (500, logged).
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems, ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, json) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, bad.InnerException as JsonException),
            JsonException direct => (StatusCodes.Status400BadRequest, direct),
            _ => (0, null),
        };
        if (status is < 400 or >= 500)
        {
            return false;
        }

        var problem = json is null
            ? new HttpValidationProblemDetails { Detail = exception.Message }
            : new HttpValidationProblemDetails(new Dictionary<string, string[]> { [FieldOf(json.Path)] = [WithoutPosition(json.Message)] })
            {
                Detail = "The body is not the JSON this route takes.",
            };
        problem.Status = status;
        problem.Title = status switch
        {
            StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
            StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON (Content-Type: application/json).",
            _ => "The request could not be read.",
        };
        logger.RequestRefused(httpContext.Request.Method, httpContext.Request.Path.Value ?? string.Empty, status, problem.Detail ?? string.Empty);
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    // "$.links[0].name" -> "links[0].name"; "$[3].threshold" -> "[3].threshold"; "$" -> "body".
    internal static string FieldOf(string? path) => path switch
    {
        null or "$" => "body",
        _ when path.StartsWith("$.", StringComparison.Ordinal) => path[2..],
        _ when path.StartsWith('$') => path[1..],
        _ => path,
    };

    // The serializer appends " Path: $.x | LineNumber: 0 | BytePositionInLine: 12."; the path is already the key.
    private static string WithoutPosition(string message)
    {
        var at = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return at < 0 ? message : message[..at];
    }
}
