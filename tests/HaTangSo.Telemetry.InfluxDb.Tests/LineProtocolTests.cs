using System.Text;

namespace HaTangSo.Telemetry.InfluxDb.Tests;

public sealed class LineProtocolTests
{
    [Theory]
    [InlineData("speedtest", "speedtest")]
    [InlineData("speed test", @"speed\ test")]
    [InlineData("a,b", @"a\,b")]
    [InlineData("a=b", "a=b")]                 // '=' needs no escape in a measurement
    [InlineData("Hà Tĩnh", @"Hà\ Tĩnh")]
    [InlineData("a\"b", "a\"b")]
    [InlineData(@"a\b", @"a\b")]
    public void AppendMeasurement_Name_Escaped(string name, string expected)
    {
        var builder = new StringBuilder();
        LineProtocol.AppendMeasurement(builder, name);
        Assert.Equal(expected, builder.ToString());
    }

    [Theory]
    [InlineData("district", "district")]
    [InlineData("Huyện Đức Thọ", @"Huyện\ Đức\ Thọ")]
    [InlineData("a,b=c d", @"a\,b\=c\ d")]
    [InlineData("Xã Đồng Văn", @"Xã\ Đồng\ Văn")]
    [InlineData("\"quoted\"", "\"quoted\"")]
    public void AppendKey_TagOrFieldKey_Escaped(string value, string expected)
    {
        var builder = new StringBuilder();
        LineProtocol.AppendKey(builder, value, "tag value");
        Assert.Equal(expected, builder.ToString());
    }

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData(@"C:\path\", "\"C:\\\\path\\\\\"")]
    [InlineData("a, b = c", "\"a, b = c\"")]  // commas, spaces and '=' are literal inside quotes
    [InlineData("Mất kết nối", "\"Mất kết nối\"")]
    public void AppendStringField_Value_QuotesAndBackslashesEscaped(string value, string expected)
    {
        var builder = new StringBuilder();
        LineProtocol.AppendStringField(builder, value);
        Assert.Equal(expected, builder.ToString());
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("a\rb")]
    [InlineData("")]
    [InlineData(@"ends\")]
    [InlineData(@"a\ b")]
    [InlineData(@"a\,b")]
    public void AppendKey_Unrepresentable_Refused(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => LineProtocol.AppendKey(new StringBuilder(), value, "tag value"));
        Assert.Contains("tag value", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1.5, "1.5")]
    [InlineData(100.0, "100")]
    [InlineData(0.1, "0.1")]
    [InlineData(-2.5e-7, "-2.5E-07")]
    [InlineData(123456.789, "123456.789")]
    public void AppendFloat_Value_ShortestRoundTrip(double value, string expected)
    {
        var builder = new StringBuilder();
        LineProtocol.AppendFloat(builder, value, "f");
        Assert.Equal(expected, builder.ToString());
        Assert.Equal(value, double.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void AppendFloat_NotFinite_RefusedNamingTheField(double value)
    {
        var error = Assert.Throws<ArgumentException>(() => LineProtocol.AppendFloat(new StringBuilder(), value, "download_mbps"));
        Assert.Contains("download_mbps", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LineBuilder_AllFieldTypes_SortedTagsNullsLeftOut()
    {
        var line = new LineBuilder()
            .Measurement("speedtest")
            .Tag("province", "42").Tag("commune", "18409").Tag("operator", null).Tag("district", "Đức Thọ")
            .Field("download_mbps", 95.5).Field("upload_mbps", (double?)null).Field("count", 3L)
            .Field("online", true).Field("result_id", "r-1").Field("error", (string?)null)
            .Timestamp(1_700_000_000);

        Assert.Equal("speedtest,commune=18409,district=Đức\\ Thọ,province=42 download_mbps=95.5,count=3i,online=true,result_id=\"r-1\" 1700000000\n", line.ToString());
        Assert.Equal(1, line.Count);
    }

    [Fact]
    public void LineBuilder_NoFields_Refused()
    {
        var builder = new LineBuilder().Measurement("m").Tag("a", "b");
        Assert.ThrowsAny<InvalidOperationException>(() => builder.End());
    }

    [Fact]
    public void LineBuilder_Abandon_DropsOnlyTheUnfinishedPoint()
    {
        var builder = new LineBuilder().Measurement("m").Field("f", 1L).End();
        builder.Measurement("m").Tag("t", "x");
        Assert.Throws<ArgumentException>(() => builder.Field("bad", double.NaN));

        builder.Abandon();

        Assert.Equal("m f=1i\n", builder.ToString());
        Assert.Equal(1, builder.Count);
    }

    [Theory]
    [InlineData(WritePrecision.Seconds, 1_700_000_000L)]
    [InlineData(WritePrecision.Milliseconds, 1_700_000_000_123L)]
    [InlineData(WritePrecision.Microseconds, 1_700_000_000_123_456L)]
    [InlineData(WritePrecision.Nanoseconds, 1_700_000_000_123_456_700L)]
    public void ToTimestamp_Precision_TruncatedToUnit(WritePrecision precision, long expected)
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1_234_567);
        Assert.Equal(expected, precision.ToTimestamp(time));
    }

    [Theory]
    [InlineData("speedtest", "\"speedtest\"")]
    [InlineData("we\"ird", "\"we\\\"ird\"")]
    [InlineData(@"back\slash", "\"back\\\\slash\"")]
    public void QuoteIdentifier_Name_DoubleQuotedAndEscaped(string name, string expected) =>
        Assert.Equal(expected, InfluxQl.QuoteIdentifier(name));

    [Theory]
    [InlineData("Hà Tĩnh", "'Hà Tĩnh'")]
    [InlineData("it's", "'it\\'s'")]
    [InlineData("x' OR 1=1 --", "'x\\' OR 1=1 --'")]
    public void QuoteString_Value_SingleQuotedAndEscaped(string value, string expected) =>
        Assert.Equal(expected, InfluxQl.QuoteString(value));
}
