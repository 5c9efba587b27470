using System.Text;

namespace HaTangSo.Telemetry.InfluxDb;

/// <summary>Quoting for InfluxQL text built from values (https://docs.influxdata.com/influxdb/v1/query_language/spec/).</summary>
public static class InfluxQl
{
    /// <summary>A double-quoted identifier: <c>"</c> and <c>\</c> are escaped.</summary>
    public static string QuoteIdentifier(string identifier) => Quote(identifier, '"');

    /// <summary>A single-quoted string literal: <c>'</c> and <c>\</c> are escaped.</summary>
    public static string QuoteString(string value) => Quote(value, '\'');

    /// <summary>An RFC 3339 time literal for <c>WHERE time &gt;= ...</c>.</summary>
    public static string Time(DateTimeOffset time) =>
        "'" + time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture) + "'";

    /// <summary>A duration literal in whole seconds, e.g. <c>3600s</c>.</summary>
    public static string Duration(TimeSpan duration) =>
        ((long)duration.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) + "s";

    private static string Quote(string value, char quote)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("InfluxQL literals cannot contain line breaks.", nameof(value));
        }

        var builder = new StringBuilder(value.Length + 2).Append(quote);
        foreach (var c in value)
        {
            if (c == quote || c == '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.Append(quote).ToString();
    }
}
