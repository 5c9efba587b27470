using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.SpeedTest.Tests;

/// <summary>
/// The real speed-test server process with small limits, over loopback: its UDP echo answers token holders only, and
/// its HTTP side caps connections per address, upload size and time, and closes connections that trickle.
/// </summary>
public sealed class SpeedTestAbuseTests : IAsyncLifetime
{
    private SpeedTestProcess? _server;

    private SpeedTestProcess Server => _server!;

    public async ValueTask InitializeAsync() => _server = await SpeedTestProcess.StartAsync(
        TestContext.Current.CancellationToken,
        "--SpeedTest:MaxConnectionsPerClient", "3", "--SpeedTest:MaxUploadBytes", "1048576", "--SpeedTest:MaxUploadDuration", "00:00:02",
        "--SpeedTest:MinDataRateBytesPerSecond", "1000", "--SpeedTest:MinDataRateGracePeriod", "00:00:02");

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    /// <summary>An HTTP client whose connections leave from <paramref name="source"/> (127.0.0.1 or another loopback address).</summary>
    private static HttpClient From(IPAddress source) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(context.DnsEndPoint, ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
    });

    private async Task<byte[]> TokenAsync(IPAddress source, string path = "udpToken")
    {
        using var http = From(source);
        var answer = JsonNode.Parse(await http.GetStringAsync(new Uri(Server.BaseAddress, path), TestContext.Current.CancellationToken))!;
        Assert.Equal(Server.UdpPort, answer["udpPort"]!.GetValue<int>());
        Assert.True(answer["expiresAt"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow);
        return Convert.FromBase64String(answer["token"]!.GetValue<string>());
    }

    private async Task<bool> EchoedAsync(UdpClient udp, byte[] datagram, TimeSpan wait)
    {
        var ct = TestContext.Current.CancellationToken;
        await udp.SendAsync(datagram, new IPEndPoint(IPAddress.Loopback, Server.UdpPort), ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(wait);
        try
        {
            var echo = await udp.ReceiveAsync(timeout.Token);
            Assert.Equal(datagram, echo.Buffer);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static byte[] Datagram(byte[] token, int sequence)
    {
        var datagram = new byte[64];
        token.CopyTo(datagram, 0);
        BinaryPrimitives.WriteInt32BigEndian(datagram.AsSpan(token.Length + 4), sequence);
        return datagram;
    }

    [Fact]
    public async Task UdpEcho_AnswersOnlyATokenIssuedToTheSendersAddress()
    {
        var one = IPAddress.Loopback;
        var two = IPAddress.Parse("127.0.0.2");
        var tokenOne = await TokenAsync(one);
        var tokenTwo = await TokenAsync(two, "backend/udpToken.php");
        using var udpOne = new UdpClient(new IPEndPoint(one, 0));
        using var udpTwo = new UdpClient(new IPEndPoint(two, 0));

        // Dropped without an answer: no token, a damaged token, another address's token (a reflection attempt).
        Assert.False(await EchoedAsync(udpOne, Datagram(new byte[tokenOne.Length], 0), TimeSpan.FromSeconds(1)));
        var damaged = (byte[])tokenOne.Clone();
        damaged[^1] ^= 0x55;
        Assert.False(await EchoedAsync(udpOne, Datagram(damaged, 1), TimeSpan.FromSeconds(1)));
        Assert.False(await EchoedAsync(udpOne, Datagram(tokenTwo, 2), TimeSpan.FromSeconds(1)));

        // Each address with its own token is answered, the datagram unchanged.
        for (var sequence = 3; sequence < 13; sequence++)
        {
            Assert.True(await EchoedAsync(udpOne, Datagram(tokenOne, sequence), TimeSpan.FromSeconds(10)));
            Assert.True(await EchoedAsync(udpTwo, Datagram(tokenTwo, sequence), TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public async Task Http_ConnectionsPerAddressCapped_ANewOneAfterOneCloses()
    {
        var ct = TestContext.Current.CancellationToken;
        var endpoint = new IPEndPoint(IPAddress.Loopback, Server.BaseAddress.Port);
        var open = new List<Socket>();
        try
        {
            // Three kept-alive connections, each answered once, so the server has surely counted all three (it takes
            // accepted connections up in any order).
            var request = Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            for (var i = 0; i < 3; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                open.Add(socket);
                await socket.ConnectAsync(endpoint, ct);
                await socket.SendAsync(request, ct);
                Assert.True(await socket.ReceiveAsync(new byte[4096], ct) > 0);
            }

            // The fourth is accepted by the kernel, then closed by the server before it reads anything.
            using var fourth = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await fourth.ConnectAsync(endpoint, ct);
            Assert.True(await ClosedByServerAsync(fourth, Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"), TimeSpan.FromSeconds(30)));

            // Another address is not affected.
            using (var other = From(IPAddress.Parse("127.0.0.3")))
            {
                Assert.Equal("ok", await other.GetStringAsync(new Uri(Server.BaseAddress, "health"), ct));
            }

            open[0].Dispose();
            open.RemoveAt(0);
            using var http = new HttpClient();
            string? answer = null;
            for (var attempt = 0; attempt < 100 && answer is null; attempt++)
            {
                try
                {
                    answer = await http.GetStringAsync(new Uri(Server.BaseAddress, "health"), ct);
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100, ct); // the server notices the closed connection asynchronously
                }
            }

            Assert.Equal("ok", answer);
        }
        finally
        {
            open.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Upload_OverSizeOrTimeLimit_ConnectionClosed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient();

        // Over SpeedTest:MaxUploadBytes (1 MiB here): the server stops reading and closes the connection.
        using (var big = new StreamContent(new MemoryStream(new byte[8 * 1024 * 1024])))
        {
            big.Headers.ContentLength = null;
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                using var response = await http.PostAsync(new Uri(Server.BaseAddress, "empty"), big, ct);
                response.EnsureSuccessStatusCode();
            });
        }

        // Under the size but longer than SpeedTest:MaxUploadDuration (2 s here), at a rate above the minimum.
        using (var slow = new StreamContent(new EndlessStream(TimeSpan.FromMilliseconds(50), 4096)))
        {
            slow.Headers.ContentLength = null;
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                using var response = await http.PostAsync(new Uri(Server.BaseAddress, "empty"), slow, ct);
                response.EnsureSuccessStatusCode();
            });
        }

        // The log line is read from the process's output asynchronously: wait for it (it lagged the closed connection on a
        // busy machine), never for a fixed time.
        await Server.WaitForOutputAsync("SpeedTest:MaxUploadDuration", ct);
        Assert.Equal("ok", await http.GetStringAsync(new Uri(Server.BaseAddress, "health"), ct));
    }

    [Fact]
    public async Task Upload_TricklingBelowTheMinimumRate_ConnectionClosed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Server.BaseAddress.Port), ct);
        await socket.SendAsync(Encoding.ASCII.GetBytes("POST /empty HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"), ct);

        // One byte a second (1 000 B/s is the minimum here, after a 2 s grace period): the server closes.
        Assert.True(await ClosedByServerAsync(socket, Encoding.ASCII.GetBytes("1\r\nx\r\n"), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Start_ShortUdpTokenKey_StopsNamingTheKey()
    {
        var (exitCode, output) = await SpeedTestProcess.RunToExitAsync(TestContext.Current.CancellationToken, "--SpeedTest:UdpTokenKey", "c2hvcnQ=");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("SpeedTest:UdpTokenKey", output, StringComparison.Ordinal);
    }

    /// <summary>Keeps sending <paramref name="chunk"/> (every <paramref name="every"/>) until the server closes the connection.</summary>
    private static async Task<bool> ClosedByServerAsync(Socket socket, byte[] chunk, TimeSpan timeout, TimeSpan? every = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(timeout);

        // One reader for the whole connection (no cancelled receives): it ends when the server closes or resets it.
        var closed = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            try
            {
                while (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
                {
                    // an answer (a 408, say) may come before the close
                }

                return true;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return true;
            }
        });
        while (!closed.IsCompleted && !deadline.IsCancellationRequested)
        {
            try
            {
                await socket.SendAsync(chunk, SocketFlags.None);
            }
            catch (SocketException)
            {
                // reset: the reader sees it too
            }

            await Task.WhenAny(closed, Task.Delay(every ?? TimeSpan.FromMilliseconds(200), deadline.Token));
        }

        return closed.IsCompleted;
    }

    /// <summary>A request body that never ends: <paramref name="size"/> bytes every <paramref name="every"/>.</summary>
    private sealed class EndlessStream(TimeSpan every, int size) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(every, cancellationToken);
            return Math.Min(size, buffer.Length);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
