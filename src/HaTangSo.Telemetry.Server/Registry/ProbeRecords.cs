namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>A link of a registered probe.</summary>
/// <param name="Name">The probe's name for the link (as in its results).</param>
/// <param name="Access"><c>fixed</c> or <c>mobile</c>.</param>
/// <param name="Operator">The operator selling the line.</param>
/// <param name="Technology"><c>ftth</c>, <c>xdsl</c>, <c>4g</c>, <c>5g</c>, ...</param>
/// <param name="AdvertisedDownloadMbps">The contracted download speed (for QCVN 34:2022/BTTTT).</param>
/// <param name="AdvertisedUploadMbps">The contracted upload speed.</param>
public sealed record ProbeLink(
    string Name,
    string Access,
    string Operator,
    string Technology,
    double? AdvertisedDownloadMbps,
    double? AdvertisedUploadMbps);

/// <summary>A probe as registered: where it sits and what it measures.</summary>
/// <param name="Id">The probe id (also its MQTT username).</param>
/// <param name="CommuneCode">General Statistics Office code of the commune (current catalogue, or a pre-2025 code to translate).</param>
/// <param name="Description">Free text (the office's address, the contact).</param>
/// <param name="ScheduleInterval">
/// When set, becomes the probe's <c>scheduleMinutes</c> override in its measurement configuration (issue 15.1); null leaves
/// the configuration as it is.
/// </param>
/// <param name="Enabled">False once revoked: its results are refused.</param>
/// <param name="Links">The office's links.</param>
public sealed record ProbeRegistration(
    string Id,
    string CommuneCode,
    string? Description,
    TimeSpan? ScheduleInterval,
    bool Enabled,
    IReadOnlyList<ProbeLink> Links);

/// <summary>
/// A registered probe with its place in the region hierarchy, as ingestion needs it: the province and commune of the
/// current catalogue (2025: two levels), and <paramref name="DistrictCode"/> the former (pre-2025) district its commune
/// counts in (the district of the old commune whose code it kept), or empty when it has none (a special zone).
/// </summary>
/// <param name="ProbeId">The probe.</param>
/// <param name="ProvinceCode">Current province.</param>
/// <param name="DistrictCode">Former district (principal), or empty.</param>
/// <param name="CommuneCode">Current commune.</param>
/// <param name="Enabled">False once revoked.</param>
/// <param name="ScheduleInterval">Its test interval: the schedule of its effective measurement configuration.</param>
/// <param name="Links">Its links.</param>
public sealed record ProbeLocation(
    string ProbeId,
    string ProvinceCode,
    string DistrictCode,
    string CommuneCode,
    bool Enabled,
    TimeSpan ScheduleInterval,
    IReadOnlyList<ProbeLink> Links);

/// <summary>A registered speed-test server: the only values a result's <c>server</c> may name.</summary>
/// <param name="Id">The id probes send as <c>server</c> (and the InfluxDB tag).</param>
/// <param name="Name">The server's name for people, Vietnamese first (<c>Máy chủ đo Sở KH&amp;CN Hà Tĩnh</c>).</param>
/// <param name="BaseUrl">Where probes reach it (LibreSpeed backend).</param>
/// <param name="CapacityMbps">Its network capacity: a result faster than this is implausible.</param>
/// <param name="Enabled">False refuses results that name it (a retired or compromised server).</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="UpdatedAt">When it was last changed.</param>
/// <param name="Role">What its results are for: verdicts (<see cref="ServerRole.Primary"/>) or confirming them.</param>
public sealed record SpeedTestServer(
    string Id,
    string Name,
    Uri BaseUrl,
    double CapacityMbps,
    bool Enabled,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    ServerRole Role = ServerRole.Primary);

/// <summary>
/// What a speed-test server's results are for (issue 15.3). One server carried by one operator's network favours that
/// operator; a second, off-net server (at the national exchange) tells a slow access network from a slow path to the
/// data centre.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ServerRole>))]
public enum ServerRole
{
    /// <summary>The province's data-centre server: its results count in every verdict, rollup and report.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("primary")]
    Primary,

    /// <summary>
    /// An off-net server: its results are stored and shown but never counted in a verdict; an area's <c>below</c> is
    /// confirmed against it before the alert opens.
    /// </summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("confirmation")]
    Confirmation,
}

/// <summary>The database names of <see cref="ServerRole"/>.</summary>
public static class ServerRoles
{
    /// <summary><c>primary</c> or <c>confirmation</c> (the column's values).</summary>
    public static string ToName(this ServerRole role) => role == ServerRole.Confirmation ? "confirmation" : "primary";

    /// <summary>The role stored as <paramref name="name"/>.</summary>
    public static ServerRole Parse(string name) => name == "confirmation" ? ServerRole.Confirmation : ServerRole.Primary;
}
