using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.SpeedTest;

/// <summary>Speed-test server settings, bound from <c>SpeedTest</c>.</summary>
public sealed class SpeedTestOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "SpeedTest";

    /// <summary>Largest <c>ckSize</c> (MiB chunks) one <c>garbage</c> request may ask for; LibreSpeed caps it at 1024.</summary>
    [Range(1, 1024, ErrorMessage = "SpeedTest:MaxChunks must be between 1 and 1024.")]
    public int MaxChunks { get; set; } = 1024;

    /// <summary>
    /// The send buffer of a connection serving a download (<c>SO_SNDBUF</c>), in bytes; 0 leaves it to the kernel's
    /// autotuning. The buffer is what keeps the link busy while the server waits to be scheduled: with the kernel's
    /// small early buffer, a busy server let it drain and a probe read a 100 Mb/s link 7–18 % low while iperf3 (one C
    /// thread, refilling at once) read it right; with 4 MiB both read within 1 %. Linux caps it at
    /// <c>net.core.wmem_max</c>, and a buffer only takes memory while it holds unsent data.
    /// </summary>
    [Range(0, 64 * 1024 * 1024, ErrorMessage = "SpeedTest:SendBufferBytes must be between 0 (the kernel's choice) and 67108864.")]
    public int SendBufferBytes { get; set; } = 4 * 1024 * 1024;

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

    /// <summary>Client addresses whose rate state is kept; beyond it the least recently seen one's is dropped.</summary>
    [Range(1, 1_000_000, ErrorMessage = "SpeedTest:UdpMaxClients must be between 1 and 1000000.")]
    public int UdpMaxClients { get; set; } = 10_000;

    /// <summary>Datagrams per second the echo answers in all, whoever sends them (20,000 × 1,472 bytes is 236 Mb/s at most).</summary>
    [Range(1, 10_000_000, ErrorMessage = "SpeedTest:UdpGlobalPacketsPerSecond must be between 1 and 10000000.")]
    public int UdpGlobalPacketsPerSecond { get; set; } = 20_000;

    /// <summary>How long a UDP token from <c>udpToken</c> admits its client (the probe fetches one just before its UDP test).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00", ErrorMessage = "SpeedTest:UdpTokenLifetime must be between 10 seconds and 1 hour.")]
    public TimeSpan UdpTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The HMAC key of the UDP tokens, base64 of at least 32 bytes; only needed when several instances answer at one
    /// address (a token from one must open the other's echo). Unset: a random key per start. A secret: from the
    /// environment, never the repository.
    /// </summary>
    public string? UdpTokenKey { get; set; }

    /// <summary>Open HTTP connections in all (Kestrel's connection limit).</summary>
    [Range(1, 1_000_000, ErrorMessage = "SpeedTest:MaxConnections must be between 1 and 1000000.")]
    public int MaxConnections { get; set; } = 2_000;

    /// <summary>
    /// Open HTTP connections from one address. A probe uses 4 streams and 2 latency connections, LibreSpeed's web client
    /// about 8; a carrier-grade NAT may put several probes behind one address.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "SpeedTest:MaxConnectionsPerClient must be between 1 and 100000.")]
    public int MaxConnectionsPerClient { get; set; } = 24;

    /// <summary>Largest upload body one request may send to <c>empty</c> (a 10-second stream at 2.5 Gb/s is 3.1 GB).</summary>
    [Range(typeof(long), "1", "9223372036854775807", ErrorMessage = "SpeedTest:MaxUploadBytes must be positive.")]
    public long MaxUploadBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Longest one upload to <c>empty</c> may last; then the connection is closed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "SpeedTest:MaxUploadDuration must be between 1 second and 1 hour.")]
    public TimeSpan MaxUploadDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Slowest a request body or response may flow once <see cref="MinDataRateGracePeriod"/> has passed, in bytes per
    /// second; a connection below it is closed (a client trickling bytes holds no connection for long). 0 turns it off.
    /// </summary>
    [Range(0, 1_000_000, ErrorMessage = "SpeedTest:MinDataRateBytesPerSecond must be between 0 (off) and 1000000.")]
    public int MinDataRateBytesPerSecond { get; set; } = 240;

    /// <summary>Time a transfer has before the minimum data rate applies (Kestrel needs more than 1 second).</summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00", ErrorMessage = "SpeedTest:MinDataRateGracePeriod must be between 2 seconds and 10 minutes.")]
    public TimeSpan MinDataRateGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrEmpty(UdpTokenKey))
        {
            yield break;
        }

        var bytes = new byte[UdpTokenKey.Length];
        if (!Convert.TryFromBase64String(UdpTokenKey, bytes, out var length) || length < 32)
        {
            yield return new ValidationResult("SpeedTest:UdpTokenKey must be base64 of at least 32 bytes (openssl rand -base64 32).", [nameof(UdpTokenKey)]);
        }
    }
}

[OptionsValidator]
internal sealed partial class SpeedTestOptionsValidator : IValidateOptions<SpeedTestOptions>;
