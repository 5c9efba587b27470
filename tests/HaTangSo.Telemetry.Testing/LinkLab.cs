using System.Globalization;
using System.Net;

namespace HaTangSo.Telemetry.Testing;

/// <summary>One emulated access link: name, shaped rates, added round-trip delay and random loss.</summary>
public sealed record EmulatedLink(string Name, double DownMbps, double UpMbps, int DelayMs, double LossPct = 0)
{
    /// <summary>linkemu's <c>--link NAME:DOWN:UP:DELAY_MS[:LOSS_PCT]</c>.</summary>
    public string Spec => string.Create(CultureInfo.InvariantCulture, $"{Name}:{DownMbps}mbit:{UpMbps}mbit:{DelayMs}:{LossPct}");

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{DownMbps}/{UpMbps} Mb/s, {DelayMs} ms, {LossPct}% loss");
}

/// <summary>
/// Emulated commune links in network namespaces, built by <c>tools/linkemu/linkemu</c> (root only): the probe's
/// box (<see cref="ClientNamespace"/>), a shaping router per link, and the server (<see cref="ServerAddress"/>).
/// Torn down on dispose, with everything still running inside.
/// </summary>
public sealed class LinkLab : IAsyncDisposable
{
    private LinkLab(string name, IReadOnlyDictionary<string, string> values, IReadOnlyList<EmulatedLink> links)
    {
        Name = name;
        ClientNamespace = values["LINKEMU_CLIENT_NS"];
        ServerNamespace = values["LINKEMU_SERVER_NS"];
        ServerAddress = IPAddress.Parse(values["LINKEMU_SERVER_IP"]);
        Links = links;
        SourceAddresses = links.ToDictionary(l => l.Name, l => IPAddress.Parse(values[$"LINKEMU_LINK_{l.Name.ToUpperInvariant()}_IP"]));
        DelayHelpers = links
            .Where(l => values.ContainsKey($"LINKEMU_LINK_{l.Name.ToUpperInvariant()}_DELAY_PID"))
            .ToDictionary(l => l.Name, l => int.Parse(values[$"LINKEMU_LINK_{l.Name.ToUpperInvariant()}_DELAY_PID"], CultureInfo.InvariantCulture));
    }

    public string Name { get; }

    public string ClientNamespace { get; }

    public string ServerNamespace { get; }

    public IPAddress ServerAddress { get; }

    public IReadOnlyList<EmulatedLink> Links { get; }

    /// <summary>The probe-side source address of each link, by link name.</summary>
    public IReadOnlyDictionary<string, IPAddress> SourceAddresses { get; }

    /// <summary>The process id of each delayed link's delay helper (nfqdelay), by link name.</summary>
    public IReadOnlyDictionary<string, int> DelayHelpers { get; }

    /// <summary>Why the lab cannot run here, or null when it can.</summary>
    public static string? Unavailable =>
        Environment.UserName != "root" ? "emulated links need root (network namespaces, tc, iptables)" : null;

    public static string Tool => Path.Combine(BuildOutput.RepositoryRoot, "tools", "linkemu", "linkemu");

    /// <summary>Builds the lab (a name of 1-8 lowercase letters and digits).</summary>
    public static async Task<LinkLab> UpAsync(string name, IReadOnlyList<EmulatedLink> links, CancellationToken cancellationToken)
    {
        if (Unavailable is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        await RunAsync(Tool, ["down", name], cancellationToken, check: false);
        var output = await RunAsync(Tool, ["up", name, .. links.SelectMany(l => new[] { "--link", l.Spec })], cancellationToken);
        var values = output.Split('\n')
            .Select(line => line.Trim().Split('=', 2))
            .Where(parts => parts.Length == 2 && parts[0].StartsWith("LINKEMU_", StringComparison.Ordinal))
            .ToDictionary(parts => parts[0], parts => parts[1]);
        return new LinkLab(name, values, links);
    }

    /// <summary>Runs a command to completion in <paramref name="netns"/>; returns its standard output.</summary>
    public static Task<string> ExecAsync(string netns, string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsync("ip", ["netns", "exec", netns, fileName, .. arguments], cancellationToken);

    /// <summary>Starts a long-running command in <paramref name="netns"/>.</summary>
    public static TestProcess Start(string name, string netns, string fileName, IEnumerable<string> arguments, string? workingDirectory = null) =>
        TestProcess.Start(name, "ip", ["netns", "exec", netns, fileName, .. arguments], workingDirectory: workingDirectory);

    public async ValueTask DisposeAsync() => await RunAsync(Tool, ["down", Name], CancellationToken.None, check: false);

    private static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken, bool check = true)
    {
        var result = await Command.RunAsync(fileName, arguments, cancellationToken);
        return check ? result.StdoutOrThrow($"{fileName} {string.Join(' ', arguments)}") : result.Stdout;
    }
}
