using System.Net;
using System.Text.Json;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.InfluxDb.Tests;

/// <summary>Round trips through a real InfluxDB 1.x process, each test in its own database.</summary>
public sealed class InfluxDbClientTests(InfluxDbFixture influx) : IDisposable
{
    // Inside every test database's retention policy (older points are refused as "beyond retention policy").
    private static readonly long s_t = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds();
    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    private InfluxDbClient NewClient(bool gzip = true, Uri? address = null) => new(_http, new InfluxDbConnection
    {
        BaseAddress = address ?? influx.Server.BaseAddress,
        Database = influx.NewDatabaseName(),
        Gzip = gzip,
    });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WriteThenQuery_EveryFieldTypeAndVietnameseText_ComeBackExactly(bool gzip)
    {
        var ct = TestContext.Current.CancellationToken;
        var client = NewClient(gzip);
        await client.EnsureDatabaseAsync("autogen_test", TimeSpan.FromDays(400), ct);
        var time = DateTimeOffset.Parse("2026-11-20T03:15:00.123Z", System.Globalization.CultureInfo.InvariantCulture);
        var lines = new LineBuilder()
            .Measurement("speed test,odd")
            .Tag("district", "Huyện Đức Thọ").Tag("odd tag,=", "a,b=c d").Tag("commune", "18409")
            .Field("download_mbps", 95.25).Field("count", 42L).Field("online", true)
            .Field("note", "Mất kết nối \"4G\" tại C:\\modem, 3 lần\nrồi có lại")
            .Timestamp(WritePrecision.Milliseconds.ToTimestamp(time));

        await client.WriteAsync(lines.ToString(), WritePrecision.Milliseconds, ct);

        var row = Assert.Single(await client.QueryRowsAsync("SELECT * FROM \"speed test,odd\"", ct));
        Assert.Equal(time.ToUnixTimeMilliseconds() * 1_000_000, row["time"].GetInt64());
        Assert.Equal("Huyện Đức Thọ", row["district"].GetString());
        Assert.Equal("a,b=c d", row["odd tag,="].GetString());
        Assert.Equal(95.25, row["download_mbps"].GetDouble());
        Assert.Equal(42, row["count"].GetInt64());
        Assert.True(row["online"].GetBoolean());
        Assert.Equal("Mất kết nối \"4G\" tại C:\\modem, 3 lần\nrồi có lại", row["note"].GetString());
    }

    [Fact]
    public async Task Write_SamePointTwice_StoredOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = NewClient();
        await client.EnsureDatabaseAsync("rp", TimeSpan.FromDays(30), ct);
        var line = new LineBuilder().Measurement("m").Tag("probe", "p1").Field("v", 1.0).Timestamp(s_t).ToString();

        await client.WriteAsync(line, WritePrecision.Seconds, ct);
        await client.WriteAsync(line, WritePrecision.Seconds, ct);

        Assert.Single(await client.QueryRowsAsync("SELECT * FROM m", ct));
    }

    [Fact]
    public async Task Write_SecondsPrecision_TimestampInterpretedAsSeconds()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = NewClient();
        await client.EnsureDatabaseAsync("rp", TimeSpan.FromDays(30), ct);

        await client.WriteAsync($"m v=1 {s_t}\n", WritePrecision.Seconds, ct);

        var row = Assert.Single(await client.QueryRowsAsync("SELECT * FROM m", ct));
        Assert.Equal(s_t * 1_000_000_000, row["time"].GetInt64());
    }

    [Fact]
    public async Task EnsureDatabase_TwiceWithNewDuration_PolicyAlteredAndDefault()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = NewClient();

        await client.EnsureDatabaseAsync("hts_raw", TimeSpan.FromDays(30), ct);
        await client.EnsureDatabaseAsync("hts_raw", TimeSpan.FromDays(730), ct);

        var policies = await client.QueryRowsAsync($"SHOW RETENTION POLICIES ON {InfluxQl.QuoteIdentifier(client.Database)}", ct);
        var policy = Assert.Single(policies, p => p["name"].GetString() == "hts_raw");
        Assert.Equal("17520h0m0s", policy["duration"].GetString());
        Assert.True(policy["default"].GetBoolean());
    }

    [Fact]
    public async Task Write_FieldTypeConflict_PartialWriteGoodLinesStored()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = NewClient();
        await client.EnsureDatabaseAsync("rp", TimeSpan.FromDays(30), ct);
        await client.WriteAsync($"m v=1 {s_t}\n", WritePrecision.Seconds, ct);

        var error = await Assert.ThrowsAsync<InfluxDbException>(() =>
            client.WriteAsync($"m v=2 {s_t + 2}\nm v=\"text\" {s_t + 3}\nm v=4 {s_t + 4}\n", WritePrecision.Seconds, ct));

        Assert.Equal(400, error.StatusCode);
        Assert.True(error.IsPartialWrite, error.Message);
        Assert.False(error.IsRetryable);
        Assert.Equal(3, (await client.QueryRowsAsync("SELECT v FROM m", ct)).Count);
    }

    [Fact]
    public async Task Query_BadStatement_ErrorCarriesInfluxMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = NewClient();
        await client.EnsureDatabaseAsync("rp", TimeSpan.FromDays(30), ct);

        var error = await Assert.ThrowsAsync<InfluxDbException>(() => client.QueryAsync("SELECT FROM WHERE", ct));

        Assert.Contains("error parsing query", error.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_TwoStatementsGroupedByTag_SeriesWithTags()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = NewClient();
        await client.EnsureDatabaseAsync("rp", TimeSpan.FromDays(30), ct);
        await client.WriteAsync($"m,op=VNPT v=1 {s_t}\nm,op=Viettel v=3 {s_t}\nm,op=Viettel v=5 {s_t + 1}\n", WritePrecision.Seconds, ct);

        var statements = await client.QueryAsync("SELECT mean(v) FROM m GROUP BY op; SELECT count(v) FROM m", ct);

        Assert.Equal(2, statements.Count);
        var series = statements[0].Series!;
        Assert.Equal(["VNPT", "Viettel"], series.Select(s => s.Tags!["op"]).Order());
        Assert.Equal(4, series.Single(s => s.Tags!["op"] == "Viettel").Rows().Single()["mean"].GetDouble());
        Assert.Equal(3, statements[1].Series!.Single().Rows().Single()["count"].GetInt64());
    }

    [Fact]
    public async Task Ping_Running_ReturnsVersion()
    {
        var version = await NewClient().PingAsync(TestContext.Current.CancellationToken);
        Assert.StartsWith("1.", version, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_NothingListens_RetryableError()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = NewClient(address: new Uri($"http://127.0.0.1:{FreePort.Next()}/"));

        var error = await Assert.ThrowsAsync<InfluxDbException>(() => client.WriteAsync("m v=1 1\n", WritePrecision.Seconds, ct));

        Assert.True(error.IsRetryable);
        Assert.Null(error.StatusCode);
    }

    [Fact]
    public async Task Auth_UserPasswordOn1x_NoneRefusedWrongRefusedRightAccepted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var secured = await InfluxDbServer.StartAsync("auth-enabled = true", cancellationToken: ct);
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        // InfluxDB 1.x lets the first admin user be created without credentials.
        using (var create = await _http.PostAsync(new Uri(secured.BaseAddress, "query"),
            new FormUrlEncodedContent([new("q", $"CREATE USER admin WITH PASSWORD '{password}' WITH ALL PRIVILEGES")]), ct))
        {
            create.EnsureSuccessStatusCode();
        }

        InfluxDbClient Client(string? user, string? secret) => new(_http, new InfluxDbConnection
        {
            BaseAddress = secured.BaseAddress, Database = "authdb", Username = user, Password = secret,
        });

        var anonymous = await Assert.ThrowsAsync<InfluxDbException>(() => Client(null, null).EnsureDatabaseAsync("rp", TimeSpan.FromDays(30), ct));
        var wrong = await Assert.ThrowsAsync<InfluxDbException>(() => Client("admin", "wrong").WriteAsync($"m v=1 {s_t}\n", WritePrecision.Seconds, ct));
        await Client("admin", password).EnsureDatabaseAsync("rp", TimeSpan.FromDays(30), ct);
        await Client("admin", password).WriteAsync($"m v=1 {s_t}\n", WritePrecision.Seconds, ct);

        Assert.Equal(401, anonymous.StatusCode);
        Assert.Equal(401, wrong.StatusCode);
        Assert.False(wrong.IsRetryable, "bad credentials do not heal by retrying");
        Assert.Single(await Client("admin", password).QueryRowsAsync("SELECT * FROM m", ct));
    }

    [Fact]
    public async Task Auth_Token_SentAsInfluxTokenHeader()
    {
        // InfluxDB 1.x does not take tokens, so this looks at the request the 2.x/3.x compatibility API gets.
        var ct = TestContext.Current.CancellationToken;
        var seen = new List<string?>();
        using var http = new HttpClient(new RecordingHandler(seen));
        var client = new InfluxDbClient(http, new InfluxDbConnection
        {
            BaseAddress = new Uri("http://influx.invalid/"), Database = "hatangso", Token = "tok-123", Username = "ignored", Password = "ignored",
        });

        await client.PingAsync(ct);

        Assert.Equal("Token tok-123", Assert.Single(seen));
    }

    private sealed class RecordingHandler(List<string?> seen) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Add(request.Headers.Authorization?.ToString());
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NoContent));
        }
    }
}
