namespace HaTangSo.Telemetry.Server.Api;

/// <summary>Log events of API input validation (block 4600–4649).</summary>
internal static partial class ApiLog
{
    [LoggerMessage(4600, LogLevel.Debug, "Refused {Method} {Path}: {Status} {Reason}")]
    public static partial void RequestRefused(this ILogger logger, string method, string path, int status, string reason);

    [LoggerMessage(4601, LogLevel.Warning, "{Method} {Path} failed on a dependency: answered {Status}")]
    public static partial void DependencyFailed(this ILogger logger, Exception exception, string method, string path, int status);
}
