using System.Globalization;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Registry;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>What the registry makes of a valid result: the registered link and server it is written under.</summary>
internal readonly record struct RegisteredResult(ProbeLink Link, SpeedTestServer Server);

/// <summary>
/// A valid result against the registry (allow-lists, not block-lists): its link must be registered for its probe, its
/// access, operator and technology must agree with the registry's (which is what gets written), its server must be a
/// registered and enabled speed-test server, and its throughput must be plausible for both the link
/// (<see cref="IngestionOptions.MaxRatioToAdvertised"/> × the advertised speed, when one is registered) and the server
/// (its capacity). Every tag written to InfluxDB is therefore a registered value.
/// </summary>
internal sealed class ResultChecks(ProbeDirectory directory, IOptions<IngestionOptions> options)
{
    public Refusal? Check(ResultMessage result, ProbeLocation probe, out RegisteredResult registered)
    {
        registered = default;
        var link = FindLink(probe, result.Link.Name);
        if (link is null)
        {
            // The name passed NameRules (validation), so it is safe to quote.
            return new Refusal(RefusalKind.UnknownLink, $"link '{result.Link.Name}' is not registered for probe {probe.ProbeId}");
        }

        var mismatch = Contradiction("access", result.Link.Access, link.Access, string.Equals(result.Link.Access, link.Access, StringComparison.Ordinal))
            ?? Contradiction("operator", result.Link.Operator, link.Operator, OperatorNames.Same(result.Link.Operator, link.Operator))
            ?? Contradiction("technology", result.Link.Technology, link.Technology, string.Equals(result.Link.Technology, link.Technology, StringComparison.OrdinalIgnoreCase));
        if (mismatch is not null)
        {
            return new Refusal(RefusalKind.LinkMismatch, $"link '{link.Name}' of probe {probe.ProbeId}: {mismatch}");
        }

        if (!directory.TryGetServer(result.Server, out var server))
        {
            return new Refusal(RefusalKind.UnknownServer, $"server '{result.Server}' is not a registered speed-test server");
        }

        if (!server.Enabled)
        {
            return new Refusal(RefusalKind.UnknownServer, $"server '{result.Server}' is disabled in the registry");
        }

        var implausible = Implausible("downloadMbps", result.DownloadMbps, link.AdvertisedDownloadMbps, server)
            ?? Implausible("uploadMbps", result.UploadMbps, link.AdvertisedUploadMbps, server);
        if (implausible is not null)
        {
            return new Refusal(RefusalKind.Implausible, implausible);
        }

        registered = new RegisteredResult(link, server);
        return null;
    }

    private static ProbeLink? FindLink(ProbeLocation probe, string name)
    {
        foreach (var link in probe.Links)
        {
            if (string.Equals(link.Name, name, StringComparison.Ordinal))
            {
                return link;
            }
        }

        return null;
    }

    private static string? Contradiction(string what, string given, string registered, bool agrees) =>
        agrees ? null : $"{what} '{given}' contradicts the registry's '{registered}'";

    private string? Implausible(string field, double? value, double? advertised, SpeedTestServer server)
    {
        if (value is not { } mbps)
        {
            return null;
        }

        var ratio = options.Value.MaxRatioToAdvertised;
        if (advertised is { } plan && mbps > plan * ratio)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{field} {mbps} is implausible: above {ratio} × the link's advertised {plan} Mb/s");
        }

        return mbps > server.CapacityMbps
            ? string.Create(CultureInfo.InvariantCulture, $"{field} {mbps} is implausible: above the capacity of server '{server.Id}' ({server.CapacityMbps} Mb/s)")
            : null;
    }
}
