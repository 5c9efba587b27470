namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>The live lane's log lines (event ids 3790–3799).</summary>
internal static partial class LiveLaneLog
{
    [LoggerMessage(3790, LogLevel.Information, "Live lane open ({Reason}) as {ClientId}: results published from now on are written before the {Waiting} waiting in the persistent session and the rest of its backlog")]
    public static partial void LiveLaneOpened(this ILogger logger, LiveLaneReason reason, string clientId, int waiting);

    [LoggerMessage(3791, LogLevel.Information, "Live lane closed ({Reason}); {Remembered} live results still wait for their copy through the persistent session")]
    public static partial void LiveLaneClosed(this ILogger logger, LiveLaneReason reason, int remembered);

    [LoggerMessage(3792, LogLevel.Warning, "The broker refused the live lane {ClientId} ({Code}); live results wait in the persistent session during a backlog (give the server's live identity the live role, see README \"Broker notes\")")]
    public static partial void LiveLaneRefused(this ILogger logger, string clientId, string code);

    [LoggerMessage(3793, LogLevel.Warning, "The live lane {ClientId} could not be opened or closed cleanly; the persistent session carries every result meanwhile")]
    public static partial void LiveLaneFailed(this ILogger logger, Exception exception, string clientId);
}
