namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>Log lines of the region catalogue and areas (event ids 3500-3599; API 4700-4749).</summary>
internal static partial class GeographyLog
{
    [LoggerMessage(3500, LogLevel.Information, "Region catalogue {Version} loaded: {Provinces} provinces, {Districts} districts, {Communes} communes, {Crosswalk} crosswalk rows in {Elapsed}")]
    public static partial void CatalogueVersionLoaded(this ILogger logger, string version, int provinces, int districts, int communes, int crosswalk, TimeSpan elapsed);

    [LoggerMessage(3501, LogLevel.Information, "Region catalogue unchanged (current {Version}); checked in {Elapsed}")]
    public static partial void CatalogueUnchanged(this ILogger logger, string version, TimeSpan elapsed);

    [LoggerMessage(3502, LogLevel.Information, "Catalogue {Version} is current: {Areas} areas; probes translated {Translated}, ambiguous {Ambiguous}, unplaced {Unplaced}")]
    public static partial void CataloguePlaced(this ILogger logger, string version, long areas, int translated, int ambiguous, int unplaced);

    [LoggerMessage(3503, LogLevel.Warning, "{Count} probes are not placed in a commune of the current catalogue (see GET /api/probes/placements?placement=unplaced)")]
    public static partial void ProbesUnplaced(this ILogger logger, int count);

    [LoggerMessage(3504, LogLevel.Warning, "{Count} points of the last evaluation carry a commune code no catalogue version knows (first: {Code}); they count in no area")]
    public static partial void UnknownCommuneTags(this ILogger logger, int count, string code);

    [LoggerMessage(4700, LogLevel.Information, "Area {Kind}/{Code} saved with {Communes} communes")]
    public static partial void AreaSaved(this ILogger logger, string kind, string code, int communes);

    [LoggerMessage(4701, LogLevel.Information, "Area {Kind}/{Code} deleted")]
    public static partial void AreaDeleted(this ILogger logger, string kind, string code);

    [LoggerMessage(4702, LogLevel.Information, "Probe {ProbeId} registered with the pre-reform code {OldCode}: placed in commune {CommuneCode}")]
    public static partial void ProbeCodeTranslated(this ILogger logger, string probeId, string oldCode, string communeCode);
}
