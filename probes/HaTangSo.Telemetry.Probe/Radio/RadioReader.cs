using HaTangSo.Telemetry.Probe.Diagnostics;
using Microsoft.Extensions.Logging;

namespace HaTangSo.Telemetry.Probe.Radio;

/// <summary>
/// Reads a modem's radio facts through ModemManager's command line (<c>mmcli -J -m N</c>, <c>--signal-get</c>,
/// <c>--get-cell-info</c>, and <c>--location-get</c> when the cell info names no serving cell), each call with a deadline. A box without ModemManager, a modem that is gone or a call that
/// hangs gives no facts (a debug line says why), never an error in the result: the measurement does not depend on it.
/// Signal values appear only when the modem's signal polling is on (<c>mmcli -m N --signal-setup=10</c>; see the README).
/// </summary>
internal sealed class RadioReader(IProcessRunner runner, ILogger logger, TimeSpan timeout)
{
    /// <summary>The ModemManager command line client.</summary>
    public const string Mmcli = "mmcli";

    /// <summary>A deadline per call long enough for a busy modem (ModemManager answers from its cache in milliseconds).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The modem's facts now, or null when ModemManager cannot tell.</summary>
    public async Task<RadioSnapshot?> ReadAsync(string modem, string link, CancellationToken cancellationToken)
    {
        var status = await RunAsync(link, cancellationToken, "-J", "-m", modem);
        if (status is null)
        {
            return null;
        }

        if (MmcliJson.ParseModem(status) is not { } snapshot)
        {
            logger.RadioUnreadable(link, modem, "no access technology in mmcli -m output (modem not registered?)");
            return null;
        }

        var (lte, nr) = await RunAsync(link, cancellationToken, "-J", "-m", modem, "--signal-get") is { } signal ? MmcliJson.ParseSignal(signal) : (null, null);
        var (band, cellId) = await RunAsync(link, cancellationToken, "-J", "-m", modem, "--get-cell-info") is { } cells ? MmcliJson.ParseServingCell(cells) : (null, null);
        var operatorCode = snapshot.OperatorCode;
        if (cellId is null)
        {
            // Cell info needs ModemManager 1.20+ and a QMI/MBIM modem; the 3GPP location (on by default) also comes from
            // AT modems and older versions, and names the network when the modem's operator-code is "--".
            var (locatedCell, locatedOperator) = await RunAsync(link, cancellationToken, "-J", "-m", modem, "--location-get") is { } location
                ? MmcliJson.ParseLocation(location) : (null, null);
            cellId = locatedCell;
            operatorCode ??= locatedOperator;
        }

        return snapshot with { OperatorCode = operatorCode, Lte = lte, Nr = nr, Band = band, CellId = cellId };
    }

    private async Task<string?> RunAsync(string link, CancellationToken cancellationToken, params string[] arguments)
    {
        try
        {
            var output = await runner.RunAsync(Mmcli, arguments, timeout, cancellationToken);
            if (output.ExitCode == 0)
            {
                return output.StandardOutput;
            }

            logger.RadioUnreadable(link, string.Join(' ', arguments), $"exit code {output.ExitCode}: {FirstLine(output.StandardError)}");
        }
        catch (FileNotFoundException ex)
        {
            logger.NoModemManager(link, ex.Message);
        }
        catch (TimeoutException ex)
        {
            logger.RadioUnreadable(link, string.Join(' ', arguments), ex.Message);
        }

        return null;
    }

    private static string FirstLine(string text)
    {
        var line = text.Trim().Split('\n')[0].Trim();
        return line.Length > 200 ? line[..200] : line;
    }
}
