using System.Buffers;
using System.Globalization;
using System.Text;

namespace HaTangSo.Telemetry.InfluxDb;

/// <summary>
/// Escaping rules of the InfluxDB line protocol
/// (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/). What cannot be written
/// correctly throws <see cref="ArgumentException"/> instead of silently becoming something else.
/// </summary>
public static class LineProtocol
{
    // Characters that need an escape, a refusal or a closer look; a value without any is appended whole.
    private static readonly SearchValues<char> s_identifierSpecial = SearchValues.Create(", \\\n\r");
    private static readonly SearchValues<char> s_keySpecial = SearchValues.Create(",= \\\n\r");
    private static readonly SearchValues<char> s_stringSpecial = SearchValues.Create("\"\\");

    /// <summary>Appends a measurement name: commas and spaces are escaped.</summary>
    public static void AppendMeasurement(StringBuilder builder, string name) =>
        AppendIdentifier(builder, name, "measurement", null, escapeEquals: false);

    /// <summary>Appends a tag key, tag value or field key: commas, equals signs and spaces are escaped.</summary>
    public static void AppendKey(StringBuilder builder, string value, string what) =>
        AppendIdentifier(builder, value, what, null, escapeEquals: true);

    /// <summary>
    /// Appends the value of tag <paramref name="tagKey"/> as <see cref="AppendKey"/> does; the error names the tag (the
    /// description is made only when there is an error, so a point costs no string per tag).
    /// </summary>
    public static void AppendTagValue(StringBuilder builder, string tagKey, string value) =>
        AppendIdentifier(builder, value, "value of tag", tagKey, escapeEquals: true);

    /// <summary>Appends a string field value in double quotes: double quotes and backslashes are escaped.</summary>
    public static void AppendStringField(StringBuilder builder, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        builder.Append('"');
        if (!value.AsSpan().ContainsAny(s_stringSpecial))
        {
            builder.Append(value).Append('"');
            return;
        }

        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        builder.Append('"');
    }

    /// <summary>Appends a float field value, shortest round-trip form; NaN and infinities are refused.</summary>
    public static void AppendFloat(StringBuilder builder, double value, string fieldKey)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException($"Field '{fieldKey}' is {value}: InfluxDB stores only finite floats.", nameof(value));
        }

        // "R" gives the shortest string that parses back to the same double; an integer-looking float such as
        // "5" stays a float in InfluxDB because integers need the i suffix. Formatted on the stack: no string per field.
        Span<char> text = stackalloc char[32];
        if (!value.TryFormat(text, out var written, "R", CultureInfo.InvariantCulture))
        {
            builder.Append(value.ToString("R", CultureInfo.InvariantCulture));
            return;
        }

        builder.Append(text[..written]);
    }

    /// <summary>Appends an integer field value with its <c>i</c> suffix.</summary>
    public static void AppendInteger(StringBuilder builder, long value) => AppendLong(builder, value).Append('i');

    /// <summary>Appends an integer in invariant digits without making a string (timestamps, integer fields).</summary>
    public static StringBuilder AppendLong(StringBuilder builder, long value)
    {
        ArgumentNullException.ThrowIfNull(builder);
        Span<char> text = stackalloc char[20];
        value.TryFormat(text, out var written, provider: CultureInfo.InvariantCulture);
        return builder.Append(text[..written]);
    }

    private static void AppendIdentifier(StringBuilder builder, string value, string whatKind, string? tagKey, bool escapeEquals)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"The {Describe(whatKind, tagKey)} is empty.", nameof(value));
        }

        if (!value.AsSpan().ContainsAny(escapeEquals ? s_keySpecial : s_identifierSpecial))
        {
            builder.Append(value);
            return;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is '\n' or '\r')
            {
                throw new ArgumentException($"The {Describe(whatKind, tagKey)} '{Printable(value)}' contains a line break, which line protocol cannot carry.", nameof(value));
            }

            if (c == '\\')
            {
                // InfluxDB's parser takes "\x" as an escape of x and does not unescape "\\": a backslash at the
                // end or before a character that needs escaping has no correct encoding.
                var next = i + 1 < value.Length ? value[i + 1] : '\0';
                if (i + 1 == value.Length || next is ',' or ' ' or '\\' || (escapeEquals && next == '='))
                {
                    throw new ArgumentException($"The {Describe(whatKind, tagKey)} '{Printable(value)}' has a backslash that line protocol cannot represent.", nameof(value));
                }
            }

            if (c is ',' or ' ' || (escapeEquals && c == '='))
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }
    }

    // The description only for an error: a point's tags would otherwise cost a string each.
    private static string Describe(string whatKind, string? tagKey) => tagKey is null ? whatKind : $"{whatKind} '{tagKey}'";

    private static string Printable(string value) => value.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);
}
