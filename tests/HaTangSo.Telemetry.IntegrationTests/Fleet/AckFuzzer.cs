using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Contracts.Fleet;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Fleet;

/// <summary>One acknowledgement as the broker hands it to the server: the topic it came on and its bytes.</summary>
internal sealed record AckCase(string Topic, byte[] Payload)
{
    /// <summary>Readable in a failure report (the payload as text, cut).</summary>
    public override string ToString()
    {
        var text = Encoding.UTF8.GetString(Payload);
        return $"{Topic} {text[..Math.Min(text.Length, 600)]}";
    }
}

/// <summary>
/// FsCheck generators of <c>hts.ack.v1</c> acknowledgements: a valid one of the topic's probe (or of another probe, or
/// of none), naming one of its commands, another probe's, or none; then random characters (line-protocol specials,
/// control and format characters, lone surrogates, Vietnamese, emoji) at the start, middle or end of every string,
/// number edges and re-typed values in every property, JSON shape changes (missing, null, extra, duplicate, nested,
/// wrapped), and raw byte damage (flips, invalid UTF-8, a BOM, truncation).
/// </summary>
internal static class AckFuzzer
{
    /// <summary>The properties of an acknowledgement.</summary>
    public static readonly string[] Fields = ["schema", "commandId", "probeId", "state", "reason", "at"];

    private static readonly string[] s_states = [CommandStates.Delivered, CommandStates.Delivered, CommandStates.Refused, CommandStates.Expired, CommandStates.Failed];

    private static readonly string[] s_otherStates = [CommandStates.Done, CommandStates.Queued, "", "Delivered", "delivered ", "published", "DONE"];

    private static readonly string[] s_times = ["2026-06-01T08:00:00Z", "2026-06-01T08:00:00+07:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999+14:00"];

    private static readonly string[] s_otherTimes = ["2026-13-01T00:00:00Z", "2026-06-01", "yesterday", "", "1780300800"];

    /// <summary>
    /// Acknowledgements on the topics of <paramref name="own"/> and <paramref name="other"/> (and of an unknown probe),
    /// naming the commands of either, <see cref="Guid.Empty"/> or a random id.
    /// </summary>
    public static Gen<AckCase> Cases(string own, string other, IReadOnlyList<Guid> ownCommands, IReadOnlyList<Guid> otherCommands)
    {
        var probes = Gen.Frequency((6, Gen.Constant(own)), (3, Gen.Constant(other)), (1, Gen.Constant("ht-nobody-01")));
        var topics = from probe in probes
                     from shape in Gen.Choose(0, 39)
                     select (probe, shape switch
                     {
                         0 => Topics.Results(probe),
                         1 => "hts/v1/probes//acks",
                         2 => $"hts/v1/probes/{probe}/x/acks",
                         3 => "acks",
                         _ => Topics.Acks(probe),
                     });
        var commands = Gen.Frequency<Guid>(
            (5, Gen.Elements<Guid>(ownCommands)), (4, Gen.Elements<Guid>(otherCommands)), (1, Gen.Constant(Guid.Empty)),
            (1, Gen.Choose(0, int.MaxValue).Select(n => new Guid(n, 11, 2, 0, 0, 0, 0, 0, 0, 0, 1))));
        var reasons = Gen.Frequency(
            (3, Gen.Constant<string?>(null)), (4, DocumentFuzzer.Text().Select(t => (string?)t)),
            (1, Gen.Choose(ResultLimits.MaxErrorString - 2, ResultLimits.MaxErrorString + 2).Select(n => (string?)new string('r', n))));
        var valid = from topic in topics
                    from samePayload in Gen.Choose(0, 9)
                    from payloadProbe in probes
                    from command in commands
                    from guidFormat in Gen.Frequency((12, Gen.Constant("D")), (1, Gen.Elements("N", "B", "P", "X")))
                    from state in Gen.Frequency((4, Gen.Elements(s_states)), (1, Gen.Elements(s_otherStates)))
                    from reason in reasons
                    from at in Gen.Frequency((6, Gen.Elements(s_times)), (1, Gen.Elements(s_otherTimes)))
                    select (topic.Item2, new JsonObject
                    {
                        ["schema"] = CommandAck.SchemaName,
                        ["commandId"] = command.ToString(guidFormat),
                        ["probeId"] = samePayload < 8 ? topic.probe : payloadProbe,
                        ["state"] = state,
                        ["reason"] = reason,
                        ["at"] = at,
                    });
        return from ack in valid
               from mutation in DocumentFuzzer.Mutations(Fields)
               select new AckCase(ack.Item1, mutation(ack.Item2));
    }
}
