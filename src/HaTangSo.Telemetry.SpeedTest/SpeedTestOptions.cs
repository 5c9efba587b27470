using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.SpeedTest;

/// <summary>Speed-test server settings, bound from <c>SpeedTest</c>.</summary>
public sealed class SpeedTestOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "SpeedTest";

    /// <summary>Largest <c>ckSize</c> (MiB chunks) one <c>garbage</c> request may ask for; LibreSpeed caps it at 1024.</summary>
    [Range(1, 1024, ErrorMessage = "SpeedTest:MaxChunks must be between 1 and 1024.")]
    public int MaxChunks { get; set; } = 1024;

    /// <summary>UDP port of the echo responder (loss and jitter); 0 turns it off.</summary>
    [Range(0, 65535, ErrorMessage = "SpeedTest:UdpEchoPort must be between 0 (off) and 65535.")]
    public int UdpEchoPort { get; set; } = 9091;

    /// <summary>Address the echo responder listens on; <c>::</c> is every IPv4 and IPv6 address.</summary>
    [Required(ErrorMessage = "SpeedTest:UdpBindAddress is required.")]
    [RegularExpression("^[0-9A-Fa-f:.]+$", ErrorMessage = "SpeedTest:UdpBindAddress must be an IP address such as :: or 0.0.0.0.")]
    public string UdpBindAddress { get; set; } = "::";

    /// <summary>Datagrams per second echoed to one client address (token bucket refill rate).</summary>
    [Range(1, 100_000, ErrorMessage = "SpeedTest:UdpPacketsPerSecond must be between 1 and 100000.")]
    public int UdpPacketsPerSecond { get; set; } = 200;

    /// <summary>Datagrams one client address may send at once before the rate applies (token bucket size).</summary>
    [Range(1, 100_000, ErrorMessage = "SpeedTest:UdpBurst must be between 1 and 100000.")]
    public int UdpBurst { get; set; } = 400;

    /// <summary>Longest datagram echoed; longer ones are dropped (no amplification, no fragmentation).</summary>
    [Range(16, 9000, ErrorMessage = "SpeedTest:UdpMaxDatagramBytes must be between 16 and 9000.")]
    public int UdpMaxDatagramBytes { get; set; } = 1472;

    /// <summary>Client addresses tracked by the rate limiter; beyond it, new clients wait until old ones go idle.</summary>
    [Range(1, 1_000_000, ErrorMessage = "SpeedTest:UdpMaxClients must be between 1 and 1000000.")]
    public int UdpMaxClients { get; set; } = 10_000;
}

[OptionsValidator]
internal sealed partial class SpeedTestOptionsValidator : IValidateOptions<SpeedTestOptions>;
