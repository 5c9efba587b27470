using System.Globalization;
using System.Text;

namespace HaTangSo.Telemetry.InfluxDb.Tests;

/// <summary>
/// Random names and values through the writer and back through an independent parser written here from the
/// line-protocol reference: what the writer accepts parses back to exactly what was given, and what it refuses
/// is what line protocol cannot carry. Seeded, so a failure reproduces.
/// </summary>
public sealed class LineProtocolPropertyTests
{
    private const string Alphabet = "abcXYZ019 ,=\"\\_-.:/'ạăâđêôơưĐỨÀẫ\t";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void WriteThenParse_RandomPoints_RoundTrip(int seed)
    {
        var random = new Random(seed);
        var accepted = 0;
        for (var i = 0; i < 1000; i++)
        {
            var measurement = RandomText(random);
            var tags = Enumerable.Range(0, random.Next(0, 4)).Select(_ => (Key: RandomText(random), Value: RandomText(random)))
                .DistinctBy(t => t.Key).ToList();
            var stringField = RandomText(random, allowEmpty: true);
            var number = Math.Round(random.NextDouble() * 1000, random.Next(0, 6));
            var builder = new LineBuilder();
            try
            {
                builder.Measurement(measurement);
                foreach (var (key, value) in tags)
                {
                    builder.Tag(key, value);
                }

                builder.Field("s", stringField).Field("f", number).Field("i", (long)i).Timestamp(1_700_000_000_000L + i);
            }
            catch (ArgumentException)
            {
                var all = tags.SelectMany(t => new[] { t.Key, t.Value }).Prepend(measurement);
                Assert.True(all.Any(Unrepresentable), $"refused a representable point: {measurement} {string.Join(",", tags)}");
                continue;
            }

            accepted++;
            var parsed = ParsedLine.Parse(builder.ToString().TrimEnd('\n'));
            Assert.Equal(measurement, parsed.Measurement);
            Assert.Equal(tags.Where(t => t.Value.Length > 0).OrderBy(t => t.Key, StringComparer.Ordinal).ToList(), parsed.Tags);
            Assert.Equal(stringField, parsed.Fields["s"]);
            Assert.Equal(number, double.Parse(parsed.Fields["f"], CultureInfo.InvariantCulture));
            Assert.Equal($"{i}i", parsed.Fields["i"]);
            Assert.Equal(1_700_000_000_000L + i, parsed.Timestamp);
        }

        Assert.True(accepted > 500, $"only {accepted} of 1000 generated points were representable");
    }

    // A backslash at the end, or before a character that must itself be escaped, has no encoding in 1.x.
    private static bool Unrepresentable(string value) =>
        value.Length == 0 || value.EndsWith('\\') || value.Contains("\\,", StringComparison.Ordinal)
        || value.Contains("\\ ", StringComparison.Ordinal) || value.Contains("\\\\", StringComparison.Ordinal)
        || value.Contains("\\=", StringComparison.Ordinal);

    private static string RandomText(Random random, bool allowEmpty = false)
    {
        var length = random.Next(allowEmpty ? 0 : 1, 12);
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            text.Append(Alphabet[random.Next(Alphabet.Length)]);
        }

        return text.ToString();
    }

    /// <summary>A line parsed by the reference's rules (not by the code under test).</summary>
    private sealed record ParsedLine(string Measurement, List<(string Key, string Value)> Tags, Dictionary<string, string> Fields, long Timestamp)
    {
        public static ParsedLine Parse(string line)
        {
            var position = 0;
            var measurement = ReadUntil(line, ref position, [',', ' '], unescape: [',', ' ']);
            var tags = new List<(string, string)>();
            while (line[position] == ',')
            {
                position++;
                var key = ReadUntil(line, ref position, ['='], unescape: [',', '=', ' ']);
                position++;
                var value = ReadUntil(line, ref position, [',', ' '], unescape: [',', '=', ' ']);
                tags.Add((key, value));
            }

            position++; // the space before the fields
            var fields = new Dictionary<string, string>();
            while (true)
            {
                var key = ReadUntil(line, ref position, ['='], unescape: [',', '=', ' ']);
                position++;
                fields[key] = line[position] == '"' ? ReadQuoted(line, ref position) : ReadUntil(line, ref position, [',', ' '], unescape: []);
                if (line[position] == ' ')
                {
                    break;
                }

                position++;
            }

            return new ParsedLine(measurement, tags, fields, long.Parse(line[(position + 1)..], CultureInfo.InvariantCulture));
        }

        private static string ReadUntil(string line, ref int position, char[] stops, char[] unescape)
        {
            var text = new StringBuilder();
            while (position < line.Length && !stops.Contains(line[position]))
            {
                if (line[position] == '\\' && position + 1 < line.Length && unescape.Contains(line[position + 1]))
                {
                    position++;
                }

                text.Append(line[position++]);
            }

            return text.ToString();
        }

        private static string ReadQuoted(string line, ref int position)
        {
            var text = new StringBuilder();
            position++;
            while (line[position] != '"')
            {
                if (line[position] == '\\' && line[position + 1] is '"' or '\\')
                {
                    position++;
                }

                text.Append(line[position++]);
            }

            position++;
            return text.ToString();
        }
    }
}
