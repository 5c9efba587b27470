namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Why a message was refused, as a closed set: the metric label, the quarantine's <c>reason_kind</c> column and the
/// dashboards use it, so nothing ever parses the human-readable detail back into a label.
/// </summary>
public enum RefusalKind
{
    /// <summary>The topic is not <c>hts/v1/probes/{probeId}/results</c> or <c>/status</c>.</summary>
    Topic,

    /// <summary>The payload is larger than the server accepts.</summary>
    TooLarge,

    /// <summary>The payload is not UTF-8.</summary>
    NotUtf8,

    /// <summary>Not JSON, a wrong type, a missing required property or a duplicate property.</summary>
    InvalidJson,

    /// <summary>A value outside the contract: schema name, UUID, enumeration, range, probe id differing from the topic.</summary>
    InvalidField,

    /// <summary>A name (link, operator, technology, server, version, text) outside its <c>NameRules</c> allow-list.</summary>
    InvalidName,

    /// <summary><c>startedAt</c> too far in the future or older than <c>Ingestion:MaxResultAge</c>.</summary>
    Clock,

    /// <summary>The probe is not in the registry.</summary>
    UnknownProbe,

    /// <summary>The probe is registered but disabled (revoked).</summary>
    DisabledProbe,

    /// <summary>The result names a link that is not registered for its probe.</summary>
    UnknownLink,

    /// <summary>The result's access, operator or technology contradicts the registry's.</summary>
    LinkMismatch,

    /// <summary>The result names a speed-test server that is not registered, or is disabled.</summary>
    UnknownServer,

    /// <summary>A throughput above the link's advertised speed × <c>Ingestion:MaxRatioToAdvertised</c>, or above the server's capacity.</summary>
    Implausible,

    /// <summary>The result id was already stored with other values.</summary>
    Duplicate,

    /// <summary>More results for one link and hour of measurement time than its schedule allows.</summary>
    RateLimit,

    /// <summary>More messages from one probe than its arrival token bucket allows (counted, not kept).</summary>
    ArrivalRate,

    /// <summary>A status message the server cannot use.</summary>
    InvalidStatus,

    /// <summary>InfluxDB refused the point (400/413/422).</summary>
    InfluxRefused,

    /// <summary>Processing the message threw: the exception's type and message are the detail.</summary>
    ProcessingError,

    /// <summary>The result names a command (<c>commandId</c>, issue 15.2) that was not issued to its probe.</summary>
    ForeignCommand,
}

/// <summary>A refusal: its kind, and a detail for people (never parsed).</summary>
/// <param name="Kind">What kind of refusal.</param>
/// <param name="Detail">What exactly, in words; it never echoes text that failed its allow-list.</param>
public readonly record struct Refusal(RefusalKind Kind, string Detail)
{
    /// <summary>The exception a processing step threw, as a refusal (type and message).</summary>
    public static Refusal From(Exception exception) =>
        new(RefusalKind.ProcessingError, $"{exception.GetType().FullName}: {exception.Message}");

    /// <inheritdoc />
    public override string ToString() => Detail;
}

/// <summary>Labels of <see cref="RefusalKind"/> for metrics, the database and the API (snake_case, stable).</summary>
public static class RefusalKinds
{
    private static readonly string[] s_labels =
    [
        "topic", "too_large", "not_utf8", "invalid_json", "invalid_field", "invalid_name", "clock", "unknown_probe",
        "disabled_probe", "unknown_link", "link_mismatch", "unknown_server", "implausible", "duplicate", "rate_limit",
        "arrival_rate", "invalid_status", "influxdb_refused", "processing_error",
        "foreign_command",
    ];

    /// <summary>Every kind, in declaration order.</summary>
    public static IReadOnlyList<RefusalKind> All { get; } = Enum.GetValues<RefusalKind>();

    /// <summary>The stable label of <paramref name="kind"/> (<c>rate_limit</c>).</summary>
    public static string Label(this RefusalKind kind) => s_labels[(int)kind];
}
