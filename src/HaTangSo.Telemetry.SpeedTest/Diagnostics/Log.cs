namespace HaTangSo.Telemetry.SpeedTest.Diagnostics;

/// <summary>Every log line of the speed-test server (source-generated); event ids 55xx and 65xx.</summary>
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

    [LoggerMessage(6500, LogLevel.Warning, "UDP echo: {Count} datagrams without a valid token dropped so far (last from {Client})")]
    public static partial void UdpEchoNoToken(this ILogger logger, string client, long count);

    [LoggerMessage(6501, LogLevel.Warning, "UDP echo: server-wide rate limit reached ({Count} datagrams dropped so far)")]
    public static partial void UdpEchoGlobalLimited(this ILogger logger, long count);

    [LoggerMessage(6502, LogLevel.Warning, "HTTP: connection from {Client} refused, it already has {Limit} open ({Count} refused so far)")]
    public static partial void ConnectionLimited(this ILogger logger, string client, int limit, long count);

    [LoggerMessage(6503, LogLevel.Information, "HTTP: upload from {Client} stopped at {Reason}")]
    public static partial void UploadStopped(this ILogger logger, string client, string reason);

    [LoggerMessage(5504, LogLevel.Debug,
        "HTTP: download to {Client} ended after {Seconds:0.000} s; held back by the server {ServerIdlePct}%, by the receiver's window {ReceiverWindowPct}%, by the send buffer {SendBufferPct}%")]
    public static partial void DownloadEnded(this ILogger logger, string client, double seconds, double serverIdlePct, double receiverWindowPct, double sendBufferPct);

    [LoggerMessage(6504, LogLevel.Warning,
        "HTTP: this server did not keep the download to {Client} busy for {ServerIdlePct}% of {Seconds:0.0} s (it did not write in time): the probe's figure understates the link; give the server more CPU")]
    public static partial void DownloadServerBound(this ILogger logger, string client, double seconds, double serverIdlePct);
}
