using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// The live lane, bound from <c>Mqtt:LiveLane</c>: while a backlog drains through the persistent session, a second,
/// short-lived session (<c>{ClientId}-live</c>, clean start, no session expiry) receives a copy of every result published
/// from then on, so live results are written first instead of waiting behind the backlog (see <see cref="LiveLane"/>).
/// </summary>
public sealed class LiveLaneOptions
{
    /// <summary>
    /// Whether the server opens a live lane whenever a backlog builds up (on by default; false leaves every result to the
    /// persistent session, in order, behind any backlog).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How long the persistent session must hold at least one full batch waiting (a backlog) before the live lane opens
    /// while the server runs (after an InfluxDB outage, say). A resumed persistent session (session present at start-up or
    /// after a reconnect) whose first batch is full opens it at once. Half a minute by default: a burst the server works
    /// off in seconds is not a backlog, and an open lane makes the broker and the server handle every result twice (with
    /// 5 seconds the peer harness's 200,000-result burst opened the lane in every run: docs/measurements.md, "Draining a
    /// backlog").
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Mqtt:LiveLane:OpenAfter must be between 1 second and 1 hour.")]
    public TimeSpan OpenAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the persistent session must deliver less than a full batch waiting before the live lane closes even
    /// though no copy of a live result came back through it (no live traffic, or the copies went to another instance).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Mqtt:LiveLane:CloseAfter must be between 1 second and 1 hour.")]
    public TimeSpan CloseAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Most live results remembered until their copy arrives through the persistent session (each holds its payload,
    /// about 600 bytes). Beyond it, further live results wait in the persistent session like the backlog.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "Mqtt:LiveLane:MaxRemembered must be between 1 and 1000000.")]
    public int MaxRemembered { get; set; } = 20_000;

    /// <summary>
    /// How long a live result is remembered waiting for its copy. One not seen again by then (its copy went to another
    /// server instance) is forgotten; should the copy still come, it is written again as the same point.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00", ErrorMessage = "Mqtt:LiveLane:RememberFor must be between 1 minute and 7 days.")]
    public TimeSpan RememberFor { get; set; } = TimeSpan.FromHours(1);
}
