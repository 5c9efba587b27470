using System.Text.Json.Serialization;

namespace HaTangSo.Telemetry.Probe.Configuration;

/// <summary>
/// The probe's configuration file (JSON, by default <c>/etc/hts-probe/probe.json</c>). Keys are camelCase;
/// every error found at start-up names the key (for example <c>links[1].bind</c>). Since issue 15.1 the measurement
/// settings come from the server's registry (<c>hts/v1/probes/{id}/config</c>); the measurement keys here
/// (<see cref="Server"/>, <see cref="ScheduleMinutes"/>, <see cref="BusyThresholdMbps"/>, <see cref="Test"/>) are the
/// initial configuration (version 0), used until the first registry configuration arrives.
/// </summary>
internal sealed class ProbeConfig
{
    /// <summary>The probe's id and MQTT username: <c>^[a-z0-9][a-z0-9-]{2,63}$</c>.</summary>
    public string? ProbeId { get; set; }

    /// <summary>The MQTT broker the results go to.</summary>
    public BrokerConfig? Broker { get; set; }

    /// <summary>The speed-test server of the initial configuration; null: wait for the registry's.</summary>
    public ServerConfig? Server { get; set; }

    /// <summary>The office's links (at least one), measured one after the other.</summary>
    public IReadOnlyList<LinkConfig>? Links { get; set; }

    /// <summary>Initial configuration: how often each link is measured, in minutes (1 to 1440; default 15).</summary>
    public int ScheduleMinutes { get; set; } = 15;

    /// <summary>Where the durable result queue lives (SQLite file).</summary>
    public string QueuePath { get; set; } = "/var/lib/hts-probe/queue.db";

    /// <summary>
    /// Results kept while the broker is unreachable; beyond it the oldest are evicted (counted and reported).
    /// The default, 20,000, is 52 days of two links at a 15-minute schedule (192 results a day).
    /// </summary>
    public int QueueCapacity { get; set; } = 20_000;

    /// <summary>
    /// A link already carrying more than this (Mb/s, either direction, over the second before a test) is busy:
    /// the test is skipped with <c>status: "skipped"</c>, as SamKnows does, so office traffic is neither
    /// disturbed nor mistaken for the link's capacity. 0 turns the check off.
    /// </summary>
    public double BusyThresholdMbps { get; set; } = 1.0;

    /// <summary>How the tests run (streams, durations, UDP).</summary>
    public TestConfig Test { get; set; } = new();

    /// <summary>Signed upgrades (the enrolled release key); null refuses every upgrade.</summary>
    public Upgrade.UpgradeConfig? Upgrade { get; set; }
}

/// <summary>The MQTT broker and the probe's identity on it.</summary>
internal sealed class BrokerConfig
{
    /// <summary>Broker host name or address.</summary>
    public string? Host { get; set; }

    /// <summary>Broker port (1883, or 8883 with TLS).</summary>
    public int Port { get; set; } = 1883;

    /// <summary>Use TLS and verify the broker's certificate.</summary>
    public bool Tls { get; set; }

    /// <summary>PEM file of the CA that signed the broker's certificate (TLS only; default: the system's CAs).</summary>
    public string? CaFile { get; set; }

    /// <summary>MQTT username; defaults to the probe id.</summary>
    public string? Username { get; set; }

    /// <summary>File holding the MQTT password (kept out of the config so the config can be shared).</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Seconds between refreshes of the retained status message (default 300).</summary>
    public int StatusIntervalSeconds { get; set; } = 300;
}

/// <summary>The speed-test server.</summary>
internal sealed class ServerConfig
{
    /// <summary>Base URL of a LibreSpeed-protocol server, for example <c>http://speedtest.example.vn:8090/</c>.</summary>
    public string? Url { get; set; }

    /// <summary>The server's id in results (tag <c>server</c>); defaults to the URL's host.</summary>
    public string? Id { get; set; }

    /// <summary>UDP echo port for loss and jitter; 0 skips the UDP test.</summary>
    public int UdpPort { get; set; } = 9091;
}

/// <summary>One of the office's links.</summary>
internal sealed class LinkConfig
{
    /// <summary>The probe's name for the link (<c>fixed</c>, <c>mobile</c>); unique on the probe.</summary>
    public string? Name { get; set; }

    /// <summary><c>fixed</c> or <c>mobile</c>.</summary>
    public string? Access { get; set; }

    /// <summary>Operator, for example <c>VNPT</c> or <c>Viettel</c>.</summary>
    public string? Operator { get; set; }

    /// <summary>Technology: <c>ftth</c>, <c>xdsl</c>, <c>4g</c>, <c>5g</c>, ...</summary>
    public string? Technology { get; set; }

    /// <summary>
    /// The link's local source address: every socket of the link's tests is bound to it, so source-based
    /// routing sends it out of this link. Null leaves the route to the routing table (one-link boxes).
    /// </summary>
    public string? Bind { get; set; }

    /// <summary>The link's network interface, for the busy check; found from <see cref="Bind"/> when null.</summary>
    public string? Interface { get; set; }

    /// <summary>
    /// Mobile links: the ModemManager modem (<c>mmcli -m</c> index, e.g. <c>0</c>) whose radio facts (technology, band,
    /// cell, signal, network) the probe reads before and after each test. Null: the result has no radio facts.
    /// </summary>
    public string? Modem { get; set; }
}

/// <summary>Test parameters; the defaults and why are in <c>probes/README.md</c>.</summary>
internal sealed class TestConfig
{
    /// <summary>Parallel TCP streams per direction (1 to 32; default 4).</summary>
    public int Streams { get; set; } = 4;

    /// <summary>Seconds of each transfer, warm-up included (3 to 60; default 10).</summary>
    public double DurationSeconds { get; set; } = 10;

    /// <summary>Seconds at the start of each transfer left out of the figure (default 3).</summary>
    public double WarmupSeconds { get; set; } = 3;

    /// <summary>Idle round-trip samples (10 to 200; default 20).</summary>
    public int LatencySamples { get; set; } = 20;

    /// <summary>UDP datagrams for loss and jitter (10 to 10,000; default 200).</summary>
    public int UdpPackets { get; set; } = 200;
}

/// <summary>Source-generated JSON for the configuration (Native AOT: no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = true)]
[JsonSerializable(typeof(ProbeConfig))]
internal sealed partial class ProbeConfigJsonContext : JsonSerializerContext;
