using System.Text.Json.Serialization;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Releases;
using HaTangSo.Telemetry.Server.Areas;
using HaTangSo.Telemetry.Server.Fleet.Rollouts;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>The body of <c>POST /api/rollouts</c>: a staged roll-out of a signed release.</summary>
/// <param name="Version">The release (Semantic Version, no build metadata), offered by this server's releases directory.</param>
/// <param name="Architectures">The architectures it must be offered for (<c>linux-x64</c>, <c>linux-arm64</c>); absent: every one it is offered for.</param>
/// <param name="Scope">Which probes: the whole fleet, or allow-listed probes, communes and areas.</param>
/// <param name="Waves">Cumulative reach of each wave (a share or a count); absent: 5 %, 25 %, 100 %. The last reaches everyone.</param>
/// <param name="MaxFailedProbes">A wave halts the roll-out when more probes than this failed or timed out.</param>
/// <param name="MaxFailedPercent">A wave halts the roll-out when more than this share failed or timed out; absent with no count: 5.</param>
/// <param name="ReportWithinMinutes">Minutes a probe has, from its wave's start, to report the release (default 360; 5 to 10080).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RolloutRequest(
    string? Version = null, string[]? Architectures = null, RolloutScope? Scope = null, WaveSpec[]? Waves = null, int? MaxFailedProbes = null,
    double? MaxFailedPercent = null, int? ReportWithinMinutes = null) : IValidatableRequest
{
    /// <summary>The most waves a roll-out may have.</summary>
    public const int MaxWaves = 10;

    /// <summary>The threshold asked for, or the default.</summary>
    public FailureThreshold Threshold => MaxFailedProbes is null && MaxFailedPercent is null ? FailureThreshold.Default : new(MaxFailedProbes, MaxFailedPercent);

    void IValidatableRequest.Validate(RequestErrors errors, string prefix)
    {
        if (Version is null || !ReleaseVersion.TryParse(Version, allowBuildMetadata: false, out _))
        {
            errors.Add(RequestErrors.Path(prefix, "version"), "required: a Semantic Version without build metadata (0.2.0, 0.3.0-rc.1)");
        }

        for (var i = 0; i < (Architectures?.Length ?? 0); i++)
        {
            if (!ProbeArchitectures.TryParse(Architectures![i], out _))
            {
                errors.Add(RequestErrors.Path(prefix, $"architectures[{i}]"), $"must be one of {string.Join(", ", ProbeArchitectures.All.Select(a => a.Name()))}");
            }
        }

        if (Scope is null)
        {
            errors.Add(RequestErrors.Path(prefix, "scope"), "required: {\"fleet\": true} or lists of probes, communes and areas");
        }
        else
        {
            ((IValidatableRequest)Scope).Validate(errors, RequestErrors.Path(prefix, "scope"));
        }

        ValidateWaves(errors, RequestErrors.Path(prefix, "waves"));
        if (MaxFailedProbes is < 0)
        {
            errors.Add(RequestErrors.Path(prefix, "maxFailedProbes"), "must be 0 or more");
        }

        errors.Range(RequestErrors.Path(prefix, "maxFailedPercent"), MaxFailedPercent, 0, 100);
        if (ReportWithinMinutes is < 5 or > 10080)
        {
            errors.Add(RequestErrors.Path(prefix, "reportWithinMinutes"), "must be from 5 to 10080 (a week)");
        }
    }

    private void ValidateWaves(RequestErrors errors, string path)
    {
        if (Waves is null)
        {
            return;
        }

        if (Waves.Length is 0 or > MaxWaves)
        {
            errors.Add(path, $"must list 1 to {MaxWaves} waves");
            return;
        }

        // Reach is cumulative and must grow: shares against shares, counts against counts (a count and a share
        // cannot be compared before the scope is known; the planner never lets the reach fall).
        double? lastPercent = null;
        int? lastCount = null;
        for (var i = 0; i < Waves.Length; i++)
        {
            var wave = Waves[i];
            var at = $"{path}[{i}]";
            if ((wave.Percent is null) == (wave.Count is null))
            {
                errors.Add(at, "must give exactly one of percent (a share of the scope) or count (a number of probes)");
            }
            else if (wave.Percent is { } p && (!double.IsFinite(p) || p <= 0 || p > 100 || p <= lastPercent))
            {
                errors.Add(RequestErrors.Path(at, "percent"), "must be above 0, at most 100, and above the previous wave's share (waves are cumulative)");
            }
            else if (wave.Count is { } c && (c < 1 || c <= lastCount))
            {
                errors.Add(RequestErrors.Path(at, "count"), "must be 1 or more and above the previous wave's count (waves are cumulative)");
            }

            lastPercent = wave.Percent ?? lastPercent;
            lastCount = wave.Count ?? lastCount;
        }

        if (Waves[^1].Percent is not 100)
        {
            errors.Add($"{path}[{Waves.Length - 1}]", "the last wave must be {\"percent\": 100}: every probe in scope is upgraded in the end");
        }
    }
}

/// <summary>Which probes a roll-out covers: the whole fleet, or the union of the lists (each checked against the registry).</summary>
/// <param name="Fleet">True: every enabled probe (then no lists).</param>
/// <param name="Probes">Registered, enabled probe ids.</param>
/// <param name="Communes">Commune codes where enabled probes are registered.</param>
/// <param name="Areas">Areas (<c>GET /api/areas</c>) whose communes have enabled probes.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RolloutScope(bool? Fleet = null, string[]? Probes = null, string[]? Communes = null, RolloutArea[]? Areas = null) : IValidatableRequest
{
    /// <summary>The most entries each list may have.</summary>
    public const int MaxEntries = 5000;

    /// <summary>The scope in words, as stored.</summary>
    public string Describe() => Fleet is true ? "fleet" : string.Join("; ", new[]
    {
        Probes is { Length: > 0 } ? "probes " + string.Join(",", Probes) : null,
        Communes is { Length: > 0 } ? "communes " + string.Join(",", Communes) : null,
        Areas is { Length: > 0 } ? "areas " + string.Join(",", Areas.Select(a => $"{a.Kind}/{a.Code}")) : null,
    }.OfType<string>());

    void IValidatableRequest.Validate(RequestErrors errors, string prefix)
    {
        var lists = (Probes?.Length ?? 0) + (Communes?.Length ?? 0) + (Areas?.Length ?? 0);
        if ((Fleet is true) == (lists > 0))
        {
            errors.Add(prefix, "give either \"fleet\": true or at least one probe, commune or area (not both)");
        }

        Names(errors, RequestErrors.Path(prefix, "probes"), NameKind.ProbeId, Probes);
        Names(errors, RequestErrors.Path(prefix, "communes"), NameKind.RegionCode, Communes);
        if (Areas is { Length: > MaxEntries })
        {
            errors.Add(RequestErrors.Path(prefix, "areas"), $"at most {MaxEntries} entries");
            return;
        }

        for (var i = 0; i < (Areas?.Length ?? 0); i++)
        {
            var at = RequestErrors.Path(prefix, $"areas[{i}]");
            if (!AreaKinds.TryParse(Areas![i].Kind, out _))
            {
                errors.Add(RequestErrors.Path(at, "kind"), $"must be one of {string.Join(", ", AreaKinds.All.Select(k => k.ToName()))}");
            }

            errors.Name(RequestErrors.Path(at, "code"), NameKind.AreaId, Areas[i].Code);
        }
    }

    private static void Names(RequestErrors errors, string path, NameKind kind, string[]? values)
    {
        if (values is { Length: > MaxEntries })
        {
            errors.Add(path, $"at most {MaxEntries} entries");
            return;
        }

        for (var i = 0; i < (values?.Length ?? 0); i++)
        {
            errors.Name($"{path}[{i}]", kind, values![i]);
        }
    }
}

/// <summary>An area of a roll-out's scope.</summary>
/// <param name="Kind"><c>province</c>, <c>former-province</c>, <c>former-district</c>, <c>commune</c> or <c>custom</c>.</param>
/// <param name="Code">Its code (GSO code, or the operator's id of a custom area).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RolloutArea(string? Kind = null, string? Code = null);
