using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.SpeedTest.Tests;

/// <summary>The real speed-test server process, over loopback, as LibreSpeed clients and the probe use it.</summary>
public sealed class SpeedTestServerTests : IAsyncLifetime
{
    private SpeedTestProcess? _server;
    private readonly HttpClient _http = new();

    private SpeedTestProcess Server => _server!;

    public async ValueTask InitializeAsync() => _server = await SpeedTestProcess.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Server.DisposeAsync();
    }

    [Theory]
    [InlineData("garbage?ckSize=3", 3)]
    [InlineData("backend/garbage.php?ckSize=2", 2)]
    [InlineData("garbage", 4)]             // LibreSpeed's default
    [InlineData("garbage?ckSize=abc", 4)]
    [InlineData("garbage?ckSize=5000", 1024)] // clamped to SpeedTest:MaxChunks
    public async Task Garbage_CkSize_ThatManyMebibytesOfRandomBytes(string path, int chunks)
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await _http.GetAsync(new Uri(Server.BaseAddress, path), HttpCompletionOption.ResponseHeadersRead, ct);

        response.EnsureSuccessStatusCode();
        Assert.Equal(chunks * 1024L * 1024, response.Content.Headers.ContentLength);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        if (chunks <= 4)
        {
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            Assert.Equal(chunks * 1024 * 1024, body.Length);
            Assert.True(Gzip(body[..(1024 * 1024)]) > 0.99 * 1024 * 1024, "the payload is incompressible");
        }
    }

    [Fact]
    public async Task Empty_FiftyMebibyteChunkedUpload_Accepted()
    {
        var ct = TestContext.Current.CancellationToken;
        using var content = new StreamContent(new MemoryStream(new byte[50 * 1024 * 1024]));
        content.Headers.ContentLength = null;

        using var post = await _http.PostAsync(new Uri(Server.BaseAddress, "backend/empty.php"), content, ct);
        using var get = await _http.GetAsync(new Uri(Server.BaseAddress, "empty?r=123"), ct);

        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Empty(await get.Content.ReadAsByteArrayAsync(ct));
    }

    [Fact]
    public async Task GetIp_Loopback_ReturnsTheCallersAddress()
    {
        var ct = TestContext.Current.CancellationToken;

        var answer = JsonNode.Parse(await _http.GetStringAsync(new Uri(Server.BaseAddress, "backend/getIP.php?isp=true"), ct))!;

        Assert.Equal("127.0.0.1", answer["processedString"]!.GetValue<string>());
    }

    [Fact]
    public async Task Options_Preflight_CorsHeaders()
    {
        var ct = TestContext.Current.CancellationToken;
        using var request = new HttpRequestMessage(HttpMethod.Options, new Uri(Server.BaseAddress, "backend/empty.php"));

        using var response = await _http.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UdpEcho_NumberedDatagrams_EchoedUnchanged_GarbageIgnored()
    {
        var ct = TestContext.Current.CancellationToken;
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var target = new IPEndPoint(IPAddress.Loopback, Server.UdpPort);
        await udp.SendAsync(new byte[20_000].AsMemory(0, 9000), target, ct); // over the size limit: no answer
        var token = Convert.FromBase64String(JsonNode.Parse(await _http.GetStringAsync(new Uri(Server.BaseAddress, "udpToken"), ct))!["token"]!.GetValue<string>());

        for (var sequence = 0; sequence < 20; sequence++)
        {
            var datagram = new byte[64];
            token.CopyTo(datagram, 0);
            BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(token.Length), 0x48545355);
            BinaryPrimitives.WriteInt32BigEndian(datagram.AsSpan(token.Length + 4), sequence);
            await udp.SendAsync(datagram, target, ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var echo = await udp.ReceiveAsync(timeout.Token);
            Assert.Equal(datagram, echo.Buffer);
        }
    }

    [Fact]
    public async Task Start_BadOption_StopsNamingTheKey()
    {
        var ct = TestContext.Current.CancellationToken;

        var (exitCode, output) = await SpeedTestProcess.RunToExitAsync(ct, "--SpeedTest:MaxChunks", "0");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("SpeedTest:MaxChunks", output, StringComparison.Ordinal);
    }

    private static long Gzip(byte[] data)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return compressed.Length;
    }
}
