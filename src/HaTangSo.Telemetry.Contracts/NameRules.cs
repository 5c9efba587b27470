using System.Buffers;
using System.Globalization;
using System.Text;

namespace HaTangSo.Telemetry.Contracts;

/// <summary>
/// The kinds of name that can become an InfluxDB tag, an MQTT topic level, a file name or a report cell. Each has
/// one rule in <see cref="NameRules"/>, applied at every door: the API, the targets file, the catalogue import, the
/// probe's configuration and the MQTT payload.
/// </summary>
public enum NameKind
{
    /// <summary>A probe id, also its MQTT username and client id: <c>^[a-z0-9][a-z0-9-]{2,63}$</c>.</summary>
    ProbeId,

    /// <summary>A probe's name for one of its links (<c>fixed</c>, <c>modem</c>).</summary>
    LinkName,

    /// <summary>An access technology (<c>ftth</c>, <c>xdsl</c>, <c>4g</c>, <c>5g</c>, <c>5g-sa</c>).</summary>
    Technology,

    /// <summary>An operator's name (<c>VNPT</c>, <c>Viettel</c>, <c>MobiFone</c>).</summary>
    Operator,

    /// <summary>A speed-test server id.</summary>
    ServerId,

    /// <summary>A General Statistics Office code of a province, district or commune (digits).</summary>
    RegionCode,

    /// <summary>The machine id of an area (<c>vung-bien-gioi</c>).</summary>
    AreaId,

    /// <summary>A human name of a place or area, in Vietnamese (<c>Xã Hồng Lộc</c>, <c>Vùng biên giới</c>).</summary>
    AreaName,

    /// <summary>A probe's software version (<c>1.4.0</c>, <c>1.4.0-rc.1+abc</c>).</summary>
    Version,

    /// <summary>Free text a person reads: a description, a target's source (<c>568/KH-UBND</c>).</summary>
    Text,

    /// <summary>
    /// A probe's diagnostic message (the result's <c>error</c>): the characters of <see cref="Text"/>, up to the contract's
    /// 1,024 (<see cref="ResultLimits.MaxErrorString"/>).
    /// </summary>
    Diagnostic,

    /// <summary>A mobile network's MCC and MNC as the modem reports it (<c>45204</c>): 5 or 6 digits.</summary>
    MobileNetworkCode,

    /// <summary>A radio band: <c>B</c> (LTE) or <c>n</c> (NR) and 1-3 digits (<c>B3</c>, <c>n78</c>).</summary>
    RadioBand,

    /// <summary>A serving cell's identity in hexadecimal (1-10 digits, upper or lower case).</summary>
    CellId,
}

/// <summary>
/// One allow-list per <see cref="NameKind"/>: the characters it may hold, how it may start, and its length. Nothing
/// is checked against examples of bad input; what is not allowed is refused. No kind allows a backslash, a control
/// or format character (bidi overrides included) or a line break, so no value can break line protocol, a topic or
/// a report row.
/// </summary>
public static class NameRules
{
    // Indexed by kind (ordered below, so the list may be in any order).
    private static readonly Rule[] s_rules = new Rule[]
    {
        new(NameKind.ProbeId, 3, 64, "3-64 characters a-z 0-9 and '-', starting with a letter or digit", LowerDigit, c => LowerDigit(c) || c.Value == '-'),
        new(NameKind.LinkName, 1, 32, "1-32 characters a-z 0-9 '-' '_', starting with a letter", c => c.Value is >= 'a' and <= 'z', c => LowerDigit(c) || c.Value is '-' or '_'),
        new(NameKind.Technology, 1, 16, "1-16 characters a-z 0-9 '-' '.', starting with a letter or digit", LowerDigit, c => LowerDigit(c) || c.Value is '-' or '.'),
        new(NameKind.Operator, 1, 32, "1-32 characters A-Z a-z 0-9 space '-' '.' '&', starting with a letter or digit and not ending with a space", AsciiLetterDigit, c => AsciiLetterDigit(c) || c.Value is ' ' or '-' or '.' or '&'),
        new(NameKind.ServerId, 1, 64, "1-64 characters a-z 0-9 '-' '.' '_', starting with a letter or digit", LowerDigit, c => LowerDigit(c) || c.Value is '-' or '.' or '_'),
        new(NameKind.RegionCode, 2, 5, "2-5 digits (a General Statistics Office code)", c => c.Value is >= '0' and <= '9', c => c.Value is >= '0' and <= '9'),
        new(NameKind.AreaId, 1, 64, "1-64 characters a-z 0-9 '-', starting with a letter or digit", LowerDigit, c => LowerDigit(c) || c.Value == '-'),
        new(NameKind.AreaName, 1, 128, "1-128 letters (any script, with their diacritics), digits, spaces and - ' ’ . , ( ) /, starting with a letter or digit", Rune.IsLetterOrDigit, IsAreaNameRune),
        new(NameKind.Version, 1, 64, "1-64 characters A-Z a-z 0-9 '.' '-' '+', starting with a letter or digit", AsciiLetterDigit, c => AsciiLetterDigit(c) || c.Value is '.' or '-' or '+'),
        new(NameKind.Text, 0, 500, "up to 500 letters, digits, punctuation, symbols and spaces (no control characters, line breaks or backslashes)", IsTextRune, IsTextRune),
        new(NameKind.Diagnostic, 0, ResultLimits.MaxErrorString, "up to 1024 letters, digits, punctuation, symbols and spaces (no control characters, line breaks or backslashes)", IsTextRune, IsTextRune),
        new(NameKind.MobileNetworkCode, 5, 6, "5-6 digits (MCC and MNC)", Digit, Digit),
        new(NameKind.RadioBand, 2, 4, "'B' (LTE) or 'n' (NR) and 1-3 digits", c => c.Value is 'B' or 'n', Digit),
        new(NameKind.CellId, 1, 10, "1-10 hexadecimal digits", HexDigit, HexDigit),
    }.OrderBy(r => r.Kind).ToArray();

    /// <summary>The longest value of <paramref name="kind"/>, in UTF-16 code units.</summary>
    public static int MaxLength(NameKind kind) => s_rules[(int)kind].Max;

    /// <summary>The rule of <paramref name="kind"/> in words, for error messages and documentation.</summary>
    public static string Describe(NameKind kind) => s_rules[(int)kind].Description;

    /// <summary>Whether <paramref name="value"/> is a valid <paramref name="kind"/>.</summary>
    public static bool IsValid(NameKind kind, string? value) => Check(kind, value) is null;

    /// <summary>
    /// Null when <paramref name="value"/> is a valid <paramref name="kind"/>; otherwise why not, in words that name
    /// the rule (never echoing the value, which may be hostile).
    /// </summary>
    public static string? Check(NameKind kind, string? value)
    {
        var rule = s_rules[(int)kind];
        if (value is null)
        {
            return "is missing";
        }

        if (value.Length < rule.Min || value.Length > rule.Max)
        {
            return value.Length == 0 ? "is empty" : $"must be {rule.Description} (it has {value.Length} characters)";
        }

        var first = true;
        var index = 0;
        while (index < value.Length)
        {
            if (Rune.DecodeFromUtf16(value.AsSpan(index), out var rune, out var consumed) != OperationStatus.Done)
            {
                return "holds an unpaired surrogate (not valid Unicode text)";
            }

            if (!(first ? rule.First(rune) : rule.Rest(rune)))
            {
                return $"must be {rule.Description}: character {index + 1} is not allowed";
            }

            first = false;
            index += consumed;
        }

        return kind == NameKind.Operator && value[^1] == ' ' ? $"must be {rule.Description}" : null;
    }

    private static bool Digit(Rune c) => c.Value is >= '0' and <= '9';

    private static bool HexDigit(Rune c) => c.Value is (>= '0' and <= '9') or (>= 'a' and <= 'f') or (>= 'A' and <= 'F');

    private static bool LowerDigit(Rune c) => c.Value is (>= 'a' and <= 'z') or (>= '0' and <= '9');

    private static bool AsciiLetterDigit(Rune c) => c.Value is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9');

    private static bool IsAreaNameRune(Rune c) =>
        // U+2019 is the apostrophe of official names such as Xã Ea H’Leo and Xã Cư M’gar (2025 catalogue).
        Rune.IsLetterOrDigit(c) || c.Value is ' ' or '-' or '\'' or '\u2019' or '.' or ',' or '(' or ')' or '/'
        || Rune.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    private static bool IsTextRune(Rune c) => c.Value != '\\' && (c.Value == ' ' || Rune.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.SpaceSeparator => false,
        _ => true,
    });

    private sealed record Rule(NameKind Kind, int Min, int Max, string Description, Func<Rune, bool> First, Func<Rune, bool> Rest);
}
