using System.Text;
using System.Text.Json;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// The member-level rules <see cref="ResultMessageReader"/> shares with the contract's serializer: names compared
/// exactly (escaped or not), unknown members skipped whatever they hold, a member twice refused, required members
/// checked at the object's end, a value of the wrong kind refused naming its member.
/// </summary>
internal static class JsonMembers
{
    internal static void Expect(ref Utf8JsonReader reader, JsonTokenType token)
    {
        if (reader.TokenType != token)
        {
            // Named by the member being read (Wrong), or refused as a whole at the top.
            throw new InvalidOperationException($"Expected {token}, found {reader.TokenType}.");
        }
    }

    // The next known member of the object the reader is in, with the reader on its value; false at the object's end.
    // Unknown members are skipped; a member seen twice is refused.
    internal static bool NextMember(ref Utf8JsonReader reader, byte[][] names, ref uint seen, out int member)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            member = Member(ref reader, names);
            reader.Read();
            if (member < 0)
            {
                reader.Skip();
                continue;
            }

            if ((seen & (1u << member)) != 0)
            {
                throw new JsonException($"Duplicate member '{Encoding.UTF8.GetString(names[member])}'.");
            }

            seen |= 1u << member;
            return true;
        }

        member = -1;
        return false;
    }

    // A value of the wrong kind or unreadable (a number where a string belongs, a date that is not ISO 8601), named.
    internal static JsonException Wrong(string parent, byte[] name, Exception ex) =>
        new($"{parent}{Encoding.UTF8.GetString(name)}: {ex.Message}", ex);

    internal static void Required(uint seen, uint required, byte[][] names)
    {
        if ((seen & required) != required)
        {
            var missing = Enumerable.Range(0, names.Length).Where(i => (required & ~seen & (1u << i)) != 0).Select(i => Encoding.UTF8.GetString(names[i]));
            throw new JsonException($"Missing required members: {string.Join(", ", missing)}.");
        }
    }

    private static int Member(ref Utf8JsonReader reader, byte[][] names)
    {
        if (reader.ValueIsEscaped)
        {
            for (var i = 0; i < names.Length; i++)
            {
                if (reader.ValueTextEquals(names[i]))
                {
                    return i;
                }
            }

            return -1;
        }

        var name = reader.ValueSpan;
        for (var i = 0; i < names.Length; i++)
        {
            if (name.SequenceEqual(names[i]))
            {
                return i;
            }
        }

        return -1;
    }

    internal static double? NullableDouble(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null ? null : reader.GetDouble();
}
