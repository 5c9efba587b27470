using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// The server's real per-message ingestion code over an in-memory registry snapshot (the directory is filled as a
/// reload fills it; no database is reached): one probe in Tân Lộc with the links <see cref="SampleResults"/> measure,
/// and the speed-test server they name.
/// </summary>
internal sealed class TestRegistry : IDisposable
{
    public const string ProbeId = "ht-xa-tan-loc-01";
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    public static readonly ProbeLink Fixed = new("fixed", "fixed", "VNPT", "ftth", 150, 150);
    public static readonly ProbeLink Modem = new("modem", "mobile", "Viettel", "4g", null, null);
    public static readonly SpeedTestServer Server = new(SampleResults.ServerId, "Máy chủ đo thử", new Uri("http://127.0.0.1:8090/"), 1_000, true, Now, Now);
    public static readonly SpeedTestServer Retired = new("hts-speed-test-old", "Máy chủ cũ", new Uri("http://127.0.0.1:8091/"), 1_000, false, Now, Now);

    private readonly NpgsqlDataSource _nowhere = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");

    public TestRegistry(IngestionOptions? options = null)
    {
        Time = new FakeTimeProvider(Now);
        Options = Microsoft.Extensions.Options.Options.Create(options ?? new IngestionOptions());
        Directory = new ProbeDirectory(
            new RegistryStore(_nowhere), new SpeedTestServerStore(_nowhere), Time, Microsoft.Extensions.Options.Options.Create(new RegistryOptions()),
            NullLogger<ProbeDirectory>.Instance);
        Directory.Replace(
            [
                new ProbeLocation(ProbeId, "42", "445", "18409", true, TimeSpan.FromMinutes(15), [Fixed, Modem]),
                new ProbeLocation("ht-revoked-01", "42", "445", "18409", false, TimeSpan.FromMinutes(15), [Fixed]),
            ],
            [Server, Retired]);
        Validator = new ResultValidator(Time, Options);
        RateLimiter = new ProbeRateLimiter(Time, Options);
        Checks = new MessageChecks(Validator, new ResultChecks(Directory, Options), RateLimiter, Directory);
    }

    public FakeTimeProvider Time { get; }

    public IOptions<IngestionOptions> Options { get; }

    public ProbeDirectory Directory { get; }

    public ResultValidator Validator { get; }

    public ProbeRateLimiter RateLimiter { get; }

    public MessageChecks Checks { get; }

    /// <summary>Runs one message through the checks as the pipeline does.</summary>
    public IngestionItem Check(string topic, byte[] payload)
    {
        var item = Checks.Arrive(new ReceivedMessage(topic, payload, Time.GetUtcNow(), 1, 1));
        Checks.Check(item);
        return item;
    }

    public void Dispose()
    {
        Directory.Dispose();
        _nowhere.Dispose();
    }
}
