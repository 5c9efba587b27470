using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Probe.Radio;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace HaTangSo.Telemetry.Probe.Tests;

/// <summary>
/// Radio facts from <c>mmcli -J</c> output of several modems (Fixtures/mmcli, in the layout of ModemManager's
/// cli/mmcli-output.c), the before/after rule, and the paths where ModemManager cannot tell.
/// </summary>
public sealed class RadioReaderTests
{
    private static readonly string s_fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "mmcli");

    [Theory]
    [InlineData("quectel-rm520n-gl-5g-nsa", "5g-nsa", "45204", "n78", "6A1F21B", -86.0, -11.0, 19.5)]
    [InlineData("quectel-ec25-lte", "lte", "45202", "B3", "1B9F30C", -103.0, -13.0, 4.2)]
    [InlineData("fibocom-fm350-gl-5g-sa", "5g-sa", "45201", null, null, null, null, null)]
    [InlineData("huawei-me909s-hspa", "umts", "45205", null, null, null, null, null)]
    public async Task ReadAsync_RecordedModem_GivesItsRadioFacts(
        string modem, string technology, string operatorCode, string? band, string? cellId, double? rsrp, double? rsrq, double? sinr)
    {
        var reader = new RadioReader(new RecordedRunner(modem), new FakeLogger(), TimeSpan.FromSeconds(5));

        var snapshot = await reader.ReadAsync("0", "modem", TestContext.Current.CancellationToken);
        var radio = RadioFacts.Combine(snapshot, snapshot);

        Assert.NotNull(radio);
        Assert.Equal((technology, operatorCode, band, cellId, false), (radio.AccessTechnology, radio.OperatorCode, radio.Band, radio.CellId, radio.Changed));
        Assert.Equal((rsrp, rsrq, sinr), (radio.RsrpDbm, radio.RsrqDb, radio.SinrDb));
    }

    [Fact]
    public async Task ReadAsync_UnregisteredModem_NoFacts()
    {
        var logger = new FakeLogger();
        var reader = new RadioReader(new RecordedRunner("sierra-em7455-unregistered"), logger, TimeSpan.FromSeconds(5));

        Assert.Null(await reader.ReadAsync("0", "modem", TestContext.Current.CancellationToken));
        Assert.Equal(5601, logger.LatestRecord.Id.Id);
    }

    [Fact]
    public async Task ReadAsync_NoModemManager_NoFactsAndOnlyADebugLine()
    {
        var logger = new FakeLogger();
        var runner = new ProcessRunner();

        // The real runner on a program that is not installed, and the reader on a box without mmcli (none here).
        await Assert.ThrowsAsync<FileNotFoundException>(() =>
            runner.RunAsync("hts-no-such-program", ["-J"], TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        var none = await new RadioReader(new MissingRunner(), logger, TimeSpan.FromSeconds(5)).ReadAsync("0", "modem", TestContext.Current.CancellationToken);

        Assert.Null(none);
        var record = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal((5600, LogLevel.Debug), (record.Id.Id, record.Level));
        Assert.Null(RadioFacts.Combine(none, none));
    }

    [Fact]
    public async Task ReadAsync_MmcliHangs_KilledAtTheDeadlineAndNoFacts()
    {
        var logger = new FakeLogger();
        var reader = new RadioReader(new SlowRunner(), logger, TimeSpan.FromSeconds(1));

        Assert.Null(await reader.ReadAsync("0", "modem", TestContext.Current.CancellationToken));
        Assert.Equal(5601, logger.LatestRecord.Id.Id);
    }

    [Fact]
    public async Task ProcessRunner_CommandOverrunsItsDeadline_Killed()
    {
        // A real process that would sleep for a minute: the deadline ends it (no assertion on how long it took).
        await Assert.ThrowsAsync<TimeoutException>(() =>
            new ProcessRunner().RunAsync("sleep", ["60"], TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Combine_FellBackFrom5GToLteDuringTheTest_ReportsLteAndChanged()
    {
        var before = new RadioSnapshot(RadioTechnology.NrNonStandalone, "45204") { Band = "n78", Nr = new(-85, -11, 20), Lte = new(-90, -12, 10) };
        var after = new RadioSnapshot(RadioTechnology.Lte, "45204") { Band = "B3", Lte = new(-100, -14, 2) };

        var radio = RadioFacts.Combine(before, after)!;

        Assert.Equal((RadioTechnology.Lte, true), (radio.AccessTechnology, radio.Changed));
        Assert.Equal(-92.5, radio.RsrpDbm); // NR's before (on 5G), LTE's after
        Assert.Null(RadioFacts.Combine(before, null)!.Changed); // one snapshot: unknown, not "unchanged"
    }

    [Fact]
    public void Combine_ImplausibleSignal_Dropped()
    {
        var snapshot = new RadioSnapshot(RadioTechnology.Lte, null) { Lte = new(0, -11, 99) };

        var radio = RadioFacts.Combine(snapshot, snapshot)!;

        Assert.Equal((null, -11.0, null), (radio.RsrpDbm, radio.RsrqDb, radio.SinrDb));
    }

    [Theory]
    [InlineData(1275, "B3")]
    [InlineData(3600, "B8")]
    [InlineData(9435, "B28")]
    [InlineData(39150, "B40")]
    [InlineData(5000, null)]
    public void FromEarfcn_KnownRanges(int earfcn, string? band) => Assert.Equal(band, RadioBands.FromEarfcn(earfcn));

    [Theory]
    [InlineData(636666, "n78")]
    [InlineData(660000, "n77")]
    [InlineData(504990, "n41")]
    [InlineData(100, null)]
    public void FromNrArfcn_KnownRanges(int nrArfcn, string? band) => Assert.Equal(band, RadioBands.FromNrArfcn(nrArfcn));

    /// <summary>Answers mmcli's three calls from a fixture directory (a missing file: the modem does not support the call).</summary>
    private sealed class RecordedRunner(string modem) : IProcessRunner
    {
        public Task<ProcessOutput> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Assert.Equal(RadioReader.Mmcli, fileName);
            var file = arguments[^1] switch { "--signal-get" => "signal.json", "--get-cell-info" => "cell-info.json", _ => "modem.json" };
            var path = Path.Combine(s_fixtures, modem, file);
            return Task.FromResult(File.Exists(path)
                ? new ProcessOutput(0, File.ReadAllText(path), string.Empty)
                : new ProcessOutput(1, string.Empty, "error: couldn't get cell info: 'Unsupported'\n"));
        }
    }

    private sealed class MissingRunner : IProcessRunner
    {
        public Task<ProcessOutput> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken) =>
            new ProcessRunner().RunAsync("hts-no-such-mmcli", arguments, timeout, cancellationToken);
    }

    private sealed class SlowRunner : IProcessRunner
    {
        public Task<ProcessOutput> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken) =>
            new ProcessRunner().RunAsync("sleep", ["60"], timeout, cancellationToken);
    }
}
