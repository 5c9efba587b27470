using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;

namespace HaTangSo.Telemetry.Server.Reports;

/// <summary>
/// The one way the server writes CSV (every report and export goes through <see cref="Write"/>): RFC 4180, UTF-8
/// with a byte-order mark so spreadsheet programs read Vietnamese names, and OWASP's CSV-injection rule — a cell that
/// begins with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return is prefixed with a single quote
/// (and quoted), so a spreadsheet shows it as text instead of running it as a formula
/// (<c>=HYPERLINK("http://x","ok")</c> in a target's source).
/// </summary>
internal static class ReportCsv
{
    /// <summary>The characters a spreadsheet reads as the start of a formula (OWASP CSV injection).</summary>
    public static IReadOnlyList<char> FormulaStarts { get; } = ['=', '+', '-', '@', '\t', '\r'];

    private static readonly CsvConfiguration s_configuration = new(CultureInfo.InvariantCulture)
    {
        InjectionOptions = InjectionOptions.Escape,
        InjectionCharacters = [.. FormulaStarts],
        InjectionEscapeCharacter = '\'',
    };

    /// <summary>A CSV writer with the same rules over <paramref name="text"/> (streamed exports; the caller writes the BOM).</summary>
    public static CsvWriter CreateWriter(TextWriter text) => new(text, s_configuration);

    /// <summary>Writes what <paramref name="write"/> puts in the CSV and returns it as UTF-8 with a BOM.</summary>
    public static byte[] Write(Action<CsvWriter> write)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = new CsvWriter(text, s_configuration))
        {
            write(csv);
        }

        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ToString())];
    }
}
