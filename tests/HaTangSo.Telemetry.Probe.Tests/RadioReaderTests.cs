using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Probe.Radio;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace HaTangSo.Telemetry.Probe.Tests;

/// <summary>
/// Radio facts from <c>mmcli -J</c> output: recordings of real modems (Fixtures/mmcli/recorded, provenance in the README
/// there) and modelled 5G outputs no recording covers (Fixtures/mmcli/modelled); the before/after rule; and the paths where
/// ModemManager cannot tell. Expected values are read from the recorded JSON by hand.
/// </summary>
public sealed class RadioReaderTests
{
    private static readonly string s_fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "mmcli");

    [Theory]
    [InlineData("openwisp-quectel-em12g.modem.json", "umts", null)] // ["hsdpa","hsupa"]; operator-code "00000" (blanked by its publisher)
    [InlineData("iqrf-quectel-eg25.modem.json", "lte", "23002")]
    [InlineData("iqrf-huawei-e3131.modem.json", "gsm", null)] // ["edge"], registered home with operator-code "--"
    public void ParseModem_RecordedModem_TechnologyAndNetwork(string file, string technology, string? operatorCode)
    {
        var snapshot = MmcliJson.ParseModem(Read("recorded", file));

        Assert.NotNull(snapshot);
        Assert.Equal((technology, operatorCode), (snapshot.AccessTechnology, snapshot.OperatorCode));
    }

    [Fact]
    public void ParseModem_RecordedSearchingModem_NoFacts() =>
        Assert.Null(MmcliJson.ParseModem(Read("recorded", "iqrf-quectel-bg96-searching.modem.json"))); // "access-technologies": []

    [Fact]
    public void ParseSignal_RecordedLte_ValuesAndNoNrBlock()
    {
        // ModemManager 1.14 or older: no "5g" block at all, "lte" with %.2lf strings.
        var (lte, nr) = MmcliJson.ParseSignal(Read("recorded", "openwisp-lte.signal.json"));

        Assert.Equal(new SignalValues(-92.0, -9.0, 19.2), lte);
        Assert.Null(nr);
    }

    [Theory]
    [InlineData("openwisp-umts.signal.json")] // UMTS values only; "5g" and "lte" all "--"
    [InlineData("iqrf-huawei-e3131.signal-polling-off.json")] // refresh rate 0: every value "--"
    [InlineData("iqrf-huawei-e3131.signal-comma-locale.json")] // GSM RSSI "-67,00" only: no LTE/NR value, never a 0
    public void ParseSignal_RecordedWithoutLteOrNrValues_Absent(string file) =>
        Assert.Equal(((SignalValues?)null, (SignalValues?)null), MmcliJson.ParseSignal(Read("recorded", file)));

    [Fact]
    public void ParseSignal_CommaDecimalLocale_ReadAsDecimalPoint()
    {
        // The recorded comma-locale output with its LTE block filled the way that locale prints it (modelled values).
        var recorded = Read("recorded", "iqrf-huawei-e3131.signal-comma-locale.json");
        var json = recorded.Replace(
            "\"lte\":{\"error-rate\":\"--\",\"rsrp\":\"--\",\"rsrq\":\"--\",\"rssi\":\"--\",\"snr\":\"--\"}",
            "\"lte\":{\"error-rate\":\"--\",\"rsrp\":\"-104,00\",\"rsrq\":\"-12,50\",\"rssi\":\"-75,00\",\"snr\":\"3,20\"}",
            StringComparison.Ordinal);
        Assert.NotEqual(recorded, json);

        Assert.Equal(new SignalValues(-104.0, -12.5, 3.2), MmcliJson.ParseSignal(json).Lte);
    }

    [Fact]
    public void ParseLocation_Recorded_CellIdWithoutPaddingAndNetwork() =>
        Assert.Equal(("FA908", "23201"), MmcliJson.ParseLocation(Read("recorded", "mmcli-svr.location.json"))); // cid "000FA908"

    [Fact]
    public void ParseServingCell_Em9191RecordedCellStrings_ServingLteCell() =>
        // Three neighbours without ids, then the serving cell: ci 19E4A2B, EARFCN 500 (band 1).
        Assert.Equal(("B1", "19E4A2B"), MmcliJson.ParseServingCell(Read("modelled", "sierra-em9191-lte.cell-info.json")));

    [Fact]
    public async Task ReadAsync_RecordedLteModemWithoutCellInfo_CellIdFromLocation()
    {
        // Answers from recordings of different boxes: the EG25 (an AT modem: --get-cell-info unsupported), the LTE signal,
        // the 3GPP location. The modem's own operator code wins over the location's.
        var runner = new RecordedRunner(Recorded("iqrf-quectel-eg25.modem.json"), Recorded("openwisp-lte.signal.json"), null, Recorded("mmcli-svr.location.json"));

        var radio = RadioFacts.Combine(await Read(runner), await Read(runner))!;

        Assert.Equal(("lte", "23002", (string?)null, "FA908", (bool?)false), (radio.AccessTechnology, radio.OperatorCode, radio.Band, radio.CellId, radio.Changed));
        Assert.Equal((-92.0, -9.0, 19.2), (radio.RsrpDbm, radio.RsrqDb, radio.SinrDb));
        Assert.Contains(runner.Calls, c => c.EndsWith("--location-get", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReadAsync_RecordedModemWithoutOperatorCode_NetworkFromLocationAndNoSignal()
    {
        // The E3131 on EDGE reports operator-code "--" and, before --signal-setup, every signal value "--".
        var runner = new RecordedRunner(Recorded("iqrf-huawei-e3131.modem.json"), Recorded("iqrf-huawei-e3131.signal-polling-off.json"), null, Recorded("mmcli-svr.location.json"));

        var radio = RadioFacts.Combine(await Read(runner), null)!;

        Assert.Equal(("gsm", "23201", "FA908", (bool?)null), (radio.AccessTechnology, radio.OperatorCode, radio.CellId, radio.Changed));
        Assert.Equal(((double?)null, (double?)null, (double?)null), (radio.RsrpDbm, radio.RsrqDb, radio.SinrDb));
    }

    [Theory]
    [InlineData("quectel-rm520n-gl-5g-nsa", "5g-nsa", "45204", "n78", "6A1F21B", -86.0, -11.0, 19.5)]
    [InlineData("fibocom-fm350-gl-5g-sa", "5g-sa", "45201", null, null, null, null, null)]
    public async Task ReadAsync_Modelled5GModem_GivesItsRadioFacts(
        string modem, string technology, string operatorCode, string? band, string? cellId, double? rsrp, double? rsrq, double? sinr)
    {
        string? Fixture(string name) => Path.Combine(s_fixtures, "modelled", modem, name) is var path && File.Exists(path) ? path : null;
        var runner = new RecordedRunner(Fixture("modem.json"), Fixture("signal.json"), Fixture("cell-info.json"), null);

        var radio = RadioFacts.Combine(await Read(runner), await Read(runner));

        Assert.NotNull(radio);
        Assert.Equal((technology, operatorCode, band, cellId, false), (radio.AccessTechnology, radio.OperatorCode, radio.Band, radio.CellId, radio.Changed));
        Assert.Equal((rsrp, rsrq, sinr), (radio.RsrpDbm, radio.RsrqDb, radio.SinrDb));
    }

    [Fact]
    public async Task ReadAsync_RecordedSearchingModem_NoFacts()
    {
        var logger = new FakeLogger();
        var reader = new RadioReader(new RecordedRunner(Recorded("iqrf-quectel-bg96-searching.modem.json"), null, null, null), logger, TimeSpan.FromSeconds(5));

        Assert.Null(await reader.ReadAsync("0", "modem", TestContext.Current.CancellationToken));
        Assert.Equal(5601, logger.LatestRecord.Id.Id);
    }

    [Theory]
    [InlineData("fixed")]
    [InlineData("0")] // the default access is fixed
    public async Task MeasureCommand_ModemOnALinkThatIsNotMobile_RefusedBeforeMeasuring(string access)
    {
        // The server refuses radio facts on a fixed link (the whole result would be quarantined): refuse it here.
        string[] args = access == "0"
            ? ["--server", "http://127.0.0.1:9/", "--modem", "0", "--json"]
            : ["--server", "http://127.0.0.1:9/", "--access", access, "--modem", "0", "--json"];

        Assert.Equal(2, await HaTangSo.Telemetry.Probe.Cli.MeasureCommand.Create().Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ProcessRunner_RunsProgramsInTheCLocale()
    {
        // mmcli prints numbers in the caller's locale; the runner pins it whatever the box's LANG/LC_ALL say.
        var output = await new ProcessRunner().RunAsync("printenv", ["LC_ALL"], TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal((0, "C.UTF-8"), (output.ExitCode, output.StandardOutput.Trim()));
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

    private static string Recorded(string file) => Path.Combine(s_fixtures, "recorded", file);

    private static string Read(string kind, string file) => File.ReadAllText(Path.Combine(s_fixtures, kind, file));

    private static Task<RadioSnapshot?> Read(RecordedRunner runner) =>
        new RadioReader(runner, new FakeLogger(), TimeSpan.FromSeconds(5)).ReadAsync("0", "modem", TestContext.Current.CancellationToken);

    /// <summary>Answers mmcli's calls from fixture files (none for a call: it fails as mmcli does when unsupported).</summary>
    private sealed class RecordedRunner(string? modem, string? signal, string? cellInfo, string? location) : IProcessRunner
    {
        public List<string> Calls { get; } = [];

        public Task<ProcessOutput> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Assert.Equal(RadioReader.Mmcli, fileName);
            Calls.Add(string.Join(' ', arguments));
            var path = arguments[^1] switch { "--signal-get" => signal, "--get-cell-info" => cellInfo, "--location-get" => location, _ => modem };
            return Task.FromResult(path is not null
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
