namespace HaTangSo.Telemetry.Server.Resilience;

/// <summary>Log events of the resilience pipelines (block 4650–4699).</summary>
internal static partial class ResilienceLog
{
    [LoggerMessage(4650, LogLevel.Warning, "{Dependency} unavailable for {Operation} (attempt {Attempt}): {Reason}; retrying in {Delay}")]
    public static partial void Retrying(this ILogger logger, Dependency dependency, string operation, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(4651, LogLevel.Error, "{Dependency} refused {Operation} for good; not retrying")]
    public static partial void PermanentFailure(this ILogger logger, Exception exception, Dependency dependency, string operation);
}
