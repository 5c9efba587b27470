namespace HaTangSo.Telemetry.SpeedTest.Diagnostics;

/// <summary>Every log line of the speed-test server (source-generated); event ids 55xx.</summary>
internal static partial class Log
{
    [LoggerMessage(5500, LogLevel.Information, "UDP echo responder listening on {EndPoint}")]
    public static partial void UdpEchoListening(this ILogger logger, string endPoint);

    [LoggerMessage(5501, LogLevel.Information, "UDP echo responder turned off (SpeedTest:UdpEchoPort is 0)")]
    public static partial void UdpEchoDisabled(this ILogger logger);

    [LoggerMessage(5502, LogLevel.Debug, "UDP echo socket error: {Error}")]
    public static partial void UdpEchoReceiveFailed(this ILogger logger, string error);

    [LoggerMessage(5503, LogLevel.Warning, "UDP echo rate limit hit by {Client} ({Count} datagrams dropped so far)")]
    public static partial void UdpEchoRateLimited(this ILogger logger, string client, long count);
}
