using System.Text;

namespace HaTangSo.Telemetry.Server.Registry;

/// <summary>Text from outside made storable in a PostgreSQL <c>text</c> column.</summary>
internal static class PostgresText
{
    /// <summary>
    /// <paramref name="value"/> with NUL and lone surrogates (a JSON escape can carry both; PostgreSQL text holds neither,
    /// and Npgsql's strict UTF-8 throws on a lone surrogate) each replaced by U+FFFD, so free text a probe sends can never
    /// make its row unstorable.
    /// </summary>
    public static string? Storable(string? value) =>
        value is null ? null : Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(value)).Replace('\0', '\uFFFD');
}
