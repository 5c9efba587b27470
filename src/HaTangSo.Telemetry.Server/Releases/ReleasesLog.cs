namespace HaTangSo.Telemetry.Server.Releases;

/// <summary>Log events of the release endpoints and the release command (3770-3789).</summary>
internal static partial class ReleasesLog
{
    [LoggerMessage(3770, LogLevel.Information, "Probe releases offered from {Directory}: {Releases}")]
    public static partial void ReleasesOffered(this ILogger logger, string directory, string releases);

    [LoggerMessage(3771, LogLevel.Debug, "Release request refused: {Field} {Problem}")]
    public static partial void ReleaseRequestRefused(this ILogger logger, string field, string problem);

    [LoggerMessage(3772, LogLevel.Debug, "Serving {Architecture} {Version} {File}")]
    public static partial void ReleaseServed(this ILogger logger, string architecture, string version, string file);
}
