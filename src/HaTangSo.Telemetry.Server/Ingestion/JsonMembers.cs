using System.Text;
using System.Text.Json;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// The members of one JSON object of the contract, and the rules <see cref="ResultMessageReader"/> shares with the
/// contract's serializer: names compared exactly (escaped or not), unknown members skipped whatever they hold, a member
/// twice refused, the required ones checked at the object's end.
/// </summary>
/// <param name="Parent">The path of the object, for refusals: <c>""</c> or <c>"link."</c>.</param>
/// <param name="Names">The members' JSON names; bit i of a <c>seen</c> mask is <c>Names[i]</c>.</param>
/// <param name="Required">The mask of the required members.</param>
internal sealed record JsonMembers(string Parent, byte[][] Names, uint Required)
{
    /// <summary>
    /// The next known member of the object the reader is in (entering it when the reader is on its start), with the
    /// reader on its value and <paramref name="at"/> naming it; false at the object's end, once the required members
    /// are checked.
    /// </summary>
    public bool Next(ref Utf8JsonReader reader, ref uint seen, out int member, ref MemberAt at)
    {
        // The first call (nothing seen yet) finds the reader on the object's value.
        if (seen == 0 && reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidOperationException($"Expected an object, found {reader.TokenType}.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            member = Index(ref reader);
            reader.Read();
            if (member < 0)
            {
                reader.Skip();
                continue;
            }

            if ((seen & (1u << member)) != 0)
            {
                throw new JsonException($"Duplicate member '{Parent}{Encoding.UTF8.GetString(Names[member])}'.");
            }

            seen |= 1u << member;
            at = new MemberAt(Parent, Names[member]);
            return true;
        }

        var absent = Required & ~seen;
        if (absent != 0)
        {
            var missing = Enumerable.Range(0, Names.Length).Where(i => (absent & (1u << i)) != 0).Select(i => Parent + Encoding.UTF8.GetString(Names[i]));
            throw new JsonException($"Missing required members: {string.Join(", ", missing)}.");
        }

        member = -1;
        return false;
    }

    private int Index(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            for (var i = 0; i < Names.Length; i++)
            {
                if (reader.ValueTextEquals(Names[i]))
                {
                    return i;
                }
            }

            return -1;
        }

        var name = reader.ValueSpan;
        for (var i = 0; i < Names.Length; i++)
        {
            if (name.SequenceEqual(Names[i]))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>The member whose value is being read, for a refusal: <c>link.name: Cannot get the value of a token type 'Number' as a string.</c></summary>
internal readonly record struct MemberAt(string Parent, byte[]? Name)
{
    public JsonException Refusal(Exception ex) =>
        Name is null ? new JsonException(ex.Message, ex) : new JsonException($"{Parent}{Encoding.UTF8.GetString(Name)}: {ex.Message}", ex);
}
