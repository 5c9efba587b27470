using HaTangSo.Telemetry.Server.Provisioning;
using HaTangSo.Telemetry.Server.Resilience;
using Microsoft.AspNetCore.Diagnostics;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// Answers a request that failed on a dependency, not on its input or a bug: the broker refused a dynamic-security
/// command (502, naming the command and the broker's words), or PostgreSQL, InfluxDB or the broker could not be reached
/// or said "not now" (<see cref="TransientErrors.IsTransient"/>; 503 with <c>Retry-After</c>). Both say that the
/// request may be sent again as it is. Anything else stays with the default handler (500, logged).
/// </summary>
internal sealed class DependencyExceptionHandler(IProblemDetailsService problems, ILogger<DependencyExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title) = exception switch
        {
            DynamicSecurityException => (StatusCodes.Status502BadGateway, "Mosquitto refused a change to the probes' broker rights."),
            _ when TransientErrors.IsTransient(exception, httpContext.RequestAborted) =>
                (StatusCodes.Status503ServiceUnavailable, "A service the server depends on (PostgreSQL, InfluxDB or Mosquitto) did not answer; send the request again."),
            _ => (0, string.Empty),
        };
        if (status == 0)
        {
            return false;
        }

        logger.DependencyFailed(exception, httpContext.Request.Method, httpContext.Request.Path.Value ?? string.Empty, status);
        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = exception.Message },
            Exception = exception,
        });
    }
}
