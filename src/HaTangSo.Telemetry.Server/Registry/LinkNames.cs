using HaTangSo.Telemetry.Server.Ingestion;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>
/// The one spelling the registry stores for a link's operator and technology, whichever door it came through (API,
/// enrolment): what ingestion compares a result against is then always the same clean value.
/// </summary>
internal static class LinkNames
{
    /// <summary>The operator's own spelling when it is a known one (<c>vinaphone</c> → <c>VNPT</c>), else the value.</summary>
    public static string? Operator(string? value) => value is null ? null : OperatorNames.Canonical(value);

    /// <summary>Technologies are lower case (<c>5G</c> → <c>5g</c>); only ASCII letters are folded.</summary>
    public static string? Technology(string? value) =>
        value is null || !value.Any(char.IsAsciiLetterUpper)
            ? value
            : string.Create(value.Length, value, static (span, source) =>
            {
                for (var i = 0; i < source.Length; i++)
                {
                    span[i] = char.IsAsciiLetterUpper(source[i]) ? (char)(source[i] | 0x20) : source[i];
                }
            });
}
